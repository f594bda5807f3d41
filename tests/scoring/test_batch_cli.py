"""The batch contract: `matchmaker rank`, as other tools call it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHALLENGES = [
    {"id": "c1", "title": "高齢者の見守り", "description": "一人暮らしの高齢者の異変に気づきたい", "field": "elderly",
     "municipality": "豊中市", "lang": "ja"},
    {"id": "c2", "title": "Tourist information in many languages", "description": "Foreign visitors ask questions at night",
     "lang": "en"},
]
TECHNOLOGIES = [
    {"id": "t1", "title": "見守りセンサー", "description": "電力データで高齢者の安否確認", "fields": ["elderly"], "company": "A社"},
    {"id": "t2", "title": "多言語AIチャットボット", "description": "外国人観光客の質問に24時間回答", "fields": ["tourism"],
     "company": "B社"},
    {"id": "t3", "title": "ごみ収集ルート最適化", "description": "収集車の走行距離を減らす", "company": "C社"},
]


def _write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("matchmaker")
    env = {"PATH": str(executable.parent), "HOME": str(cwd), "MATCHMAKER_INSTANCE_PATH": str(cwd / "no-instance")}
    return subprocess.run([str(executable), "rank", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # the tests check the exit status themselves


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return _write_jsonl(tmp_path / "c.jsonl", CHALLENGES), _write_jsonl(tmp_path / "t.jsonl", TECHNOLOGIES)


def test_output_is_one_line_per_challenge_in_input_order_best_first(files, tmp_path) -> None:
    result = _run("--challenges", str(files[0]), "--technologies", str(files[1]), "--top", "2", cwd=tmp_path)

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert [line["challenge"] for line in lines] == ["c1", "c2"]
    assert lines[0]["matches"][0]["technology"] == "t1"
    assert lines[1]["matches"][0]["technology"] == "t2"
    for line in lines:
        scores = [m["score"] for m in line["matches"]]
        assert scores == sorted(scores, reverse=True) and len(scores) <= 2
        assert all(m["reasons"] for m in line["matches"])
    assert not (tmp_path / "no-instance").exists()


def test_csv_input_and_csv_output(tmp_path) -> None:
    challenges = tmp_path / "c.csv"
    challenges.write_text("id,title,description,field\nc1,高齢者の見守り,異変に気づきたい,elderly\n", encoding="utf-8-sig")
    technologies = tmp_path / "t.csv"
    technologies.write_text("id,title,description,fields\nt1,見守りセンサー,高齢者の安否確認,elderly;safety\n",
                            encoding="utf-8")

    result = _run("--challenges", str(challenges), "--technologies", str(technologies), "--format", "csv", cwd=tmp_path)

    rows = result.stdout.lstrip("\ufeff").splitlines()
    assert result.returncode == 0, result.stderr
    assert rows[0] == "challenge,rank,technology,score,reasons"
    assert rows[1].startswith("c1,1,t1,")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": "c1", "title": "x"}\n{not json}\n', "c.jsonl:2: not valid JSON"),
        ('{"title": "x"}\n', 'c.jsonl:1: missing "id"'),
        ('{"id": "c1", "title": "x"}\n{"id": "c1", "title": "y"}\n', 'c.jsonl:2: duplicate id "c1"'),
        ('{"id": "c1", "title": "x", "field": "space"}\n', "c.jsonl:1: unknown field space"),
        ('{"id": "c1"}\n', 'c.jsonl:1: needs a "title" or a "description"'),
        ('[1, 2]\n', "c.jsonl:1: each line must be a JSON object"),
        ("", "c.jsonl: no records"),
    ],
    ids=["bad-json", "missing-id", "duplicate-id", "unknown-field", "no-text", "not-object", "empty"],
)
def test_malformed_input_names_the_file_and_line_and_exits_2(files, tmp_path, content, expected) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text(content, encoding="utf-8")

    result = _run("--challenges", str(bad), "--technologies", str(files[1]), cwd=tmp_path)

    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_file_is_a_clear_error(files, tmp_path) -> None:
    result = _run("--challenges", str(tmp_path / "nope.jsonl"), "--technologies", str(files[1]), cwd=tmp_path)

    assert result.returncode == 2
    assert "nope.jsonl: cannot read file" in result.stderr
