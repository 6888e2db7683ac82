"""Settings files (user, then project hypoforge.toml) layered under preset, environment and flags."""

from __future__ import annotations

import json

import pytest

from hypoforge.agents.settings import Settings, explain
from hypoforge.cli import main
from hypoforge.errors import UserError


@pytest.fixture()
def dirs(tmp_path, monkeypatch):
    """A user config dir and a project (working) dir, both empty; no HYPOFORGE_* settings in the env."""
    user, project = tmp_path / "user", tmp_path / "project"
    user.mkdir()
    project.mkdir()
    monkeypatch.setenv("HYPOFORGE_CONFIG_DIR", str(user))
    for var in ("HYPOFORGE_MODEL", "HYPOFORGE_LLM_URL", "HYPOFORGE_INDEX", "HYPOFORGE_CHROMA_URL", "HYPOFORGE_LLM_CACHE", "HYPOFORGE_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(project)
    return user, project


def test_no_files_means_defaults(dirs):
    settings, sources = explain()
    assert settings == Settings()
    assert set(sources.values()) == {"default"} and "loop.rounds" in sources and "llm.model" in sources


def test_layers_in_documented_order(dirs, monkeypatch):
    user, project = dirs
    (user / "hypoforge.toml").write_text('[loop]\nrounds = 5\nhypotheses = 4\nmax_llm_calls = 50\n[llm]\nseed = 11\n')
    (project / "hypoforge.toml").write_text('[loop]\nrounds = 3\n[llm]\ntemperature = 0.5\n')
    settings, sources = explain()
    assert (settings.loop.rounds, settings.loop.hypotheses, settings.llm.seed, settings.llm.temperature) == (3, 4, 11, 0.5)
    assert sources["loop.rounds"] == f"project file {project / 'hypoforge.toml'}"
    assert sources["loop.hypotheses"] == f"user file {user / 'hypoforge.toml'}"
    assert sources["loop.top_k"] == "default"
    # a preset beats the files, the environment beats the preset, flags beat everything
    settings, sources = explain("fast")
    assert settings.loop.rounds == 1 and sources["loop.rounds"] == "preset fast"
    assert settings.loop.max_llm_calls == 50  # the preset does not set it: the file's value stays
    monkeypatch.setenv("HYPOFORGE_THREADS", "2")
    monkeypatch.setenv("HYPOFORGE_MODEL", "smollm2-135m")
    settings, sources = explain("fast", {"loop": {"rounds": 7}, "llm": {"n_threads": None}})
    assert settings.loop.rounds == 7 and sources["loop.rounds"] == "command line"
    assert settings.llm.n_threads == 2 and sources["llm.n_threads"] == "$HYPOFORGE_THREADS"
    assert sources["llm.model"] == "$HYPOFORGE_MODEL"
    assert Settings.layered("fast") == explain("fast")[0]


def test_relative_paths_are_relative_to_the_file(dirs):
    _, project = dirs
    (project / "hypoforge.toml").write_text('data_dir = "work"\n[index]\ndir = "idx"\n')
    s = Settings.layered()
    assert s.data_dir == project / "work" and s.index_dir() == project / "idx"


@pytest.mark.parametrize("text,needle", [
    ("[loop]\nrounds = 0\n", "loop.rounds"),
    ("[loop]\nround = 2\n", "loop.round"),
    ("[llm]\nn_threads = 0\n", "llm.n_threads"),
    ("colour = 'blue'\n", "colour"),
    ("[loop\nrounds = 2\n", "not valid TOML"),
])
def test_bad_file_is_one_line_naming_file_and_key(dirs, capsys, text, needle):
    _, project = dirs
    (project / "hypoforge.toml").write_text(text)
    with pytest.raises(UserError) as info:
        Settings.layered()
    assert str(project / "hypoforge.toml") in str(info.value) and needle in str(info.value)
    code = main(["config", "show"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and needle in err[0] and "Traceback" not in err[0]


def test_config_show_json_and_table(dirs, capsys):
    _, project = dirs
    (project / "hypoforge.toml").write_text("[loop]\nrounds = 4\n")
    assert main(["config", "show", "--json", "--hypotheses", "6"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["loop"]["rounds"] == 4 and data["settings"]["loop"]["hypotheses"] == 6
    assert data["sources"]["loop.rounds"].startswith("project file ") and data["sources"]["loop.hypotheses"] == "command line"
    assert data["files"] == [str(project / "hypoforge.toml")]
    assert main(["config", "show", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    assert "project file" in rows["loop.rounds"] and " 4 " in rows["loop.rounds"]
    assert "command line" in rows["llm.n_threads"]


def test_bad_flag_value_is_one_line(dirs, capsys):
    assert main(["config", "show", "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "llm.n_threads" in err[0]


def test_runs_reads_the_data_dir_from_a_settings_file(dirs, capsys):
    _, project = dirs
    (project / "hypoforge.toml").write_text('data_dir = "mydata"\n')
    run = project / "mydata" / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"run_id": "r1", "goal": "g", "status": "complete"}))
    assert main(["runs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in listed] == ["r1"]


# ----------------------------------------------------------------------------- the flags come from the settings


def _subcommand(name: str):
    from hypoforge.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices[name]


def test_every_loop_flag_shows_its_settings_description_and_default():
    from hypoforge.agents.commands import LOOP_FLAGS, settings_field

    assert len(LOOP_FLAGS) == 13
    for command in ("run", "chat", "config"):
        parser = _subcommand(command)
        if command == "config":
            parser = next(a for a in parser._actions if a.dest == "config_command").choices["show"]
        helps = {s: a.help for a in parser._actions for s in a.option_strings}
        for flag in LOOP_FLAGS:
            field = settings_field(flag.path)
            assert field.description and field.description in helps[flag.flag], (command, flag.flag)
            default = field.get_default(call_default_factory=True)
            if default not in (None, []):
                assert f"Default: {default:g}." in helps[flag.flag], (command, flag.flag)
    text = _subcommand("run").format_help()
    for shown in ("Default: 2.", "Default: 3.", "Default: 200.", "Default: 3600.", "Default: 7."):
        assert shown in " ".join(text.split())
    assert "fast (loop.rounds=1" in " ".join(text.split())


def test_loop_flags_land_on_their_settings_paths(tmp_path):
    from hypoforge.agents.commands import loop_overrides
    from hypoforge.agents.settings import merge_settings

    args = _subcommand("run").parse_args([
        "a goal", "--model", "m.gguf", "--llm-url", "http://h:1", "--rounds", "5", "--hypotheses", "4",
        "--max-llm-calls", "9", "--max-seconds", "12.5", "--constraint", "no\x07 biologics", "--constraint", "oral",
        "--seed", "3", "--index", str(tmp_path / "i"), "--data-dir", str(tmp_path / "d"), "--cache", str(tmp_path / "c"),
        "--threads", "2",
    ])
    data: dict = {}
    merge_settings(data, loop_overrides(args))
    s = Settings.model_validate(data)
    assert (s.llm.model, s.llm.url, s.llm.seed, s.llm.cache_dir, s.llm.n_threads) == ("m.gguf", "http://h:1", 3, tmp_path / "c", 2)
    assert (s.loop.rounds, s.loop.hypotheses, s.loop.max_llm_calls, s.loop.max_seconds) == (5, 4, 9, 12.5)
    assert s.loop.constraints == ["no biologics", "oral"] and s.index.dir == tmp_path / "i" and s.data_dir == tmp_path / "d"
    unset = loop_overrides(_subcommand("run").parse_args(["a goal"]))
    assert set(unset) == {"llm", "loop", "index", "data_dir"}
    data = {}
    merge_settings(data, unset)
    assert Settings.model_validate(data) == Settings()  # flags not given leave every setting alone
