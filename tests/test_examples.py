"""The examples run and print the numbers docs/design.md quotes."""
import pathlib
import runpy

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def test_design_arithmetic_prints_the_worked_numbers(capsys):
    runpy.run_path(str(EXAMPLES / "design_arithmetic.py"), run_name="__main__")
    out = capsys.readouterr().out
    for expected in ("2,500 parameters", "1,800 parameters", "4,900 parameters",
                     "2,700 parameters", "4,800 parameters", "38,592 parameters",
                     "102,400 parameters", "73,728 parameters",
                     "3x3: 81 multiplications;  1x3 + 3x1: 45 + 27 = 72",
                     "dense: 1,800 parameters; 3 groups: 600", "receptive field 15"):
        assert expected in out, expected
    assert "total" in out and "128x56x56" in out
