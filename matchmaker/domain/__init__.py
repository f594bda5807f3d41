"""What the actions share that is not about one resource: the errors they raise."""
