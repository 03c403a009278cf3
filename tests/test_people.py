"""Names from what people say (stretch_coach/people.py): the frames people use, and odd input that
must never become a name (emoji, markup, commands, 500 characters, words the coach listens for)."""

from __future__ import annotations

import pytest

from stretch_coach.people import MAX_NAME, clean_name, parse


@pytest.mark.parametrize("text, stretcher, helper, turn", [
    ("I'm Alex, Sam is helping", "Alex", "Sam", None),
    ("i'm alex and sam is helping", "Alex", "Sam", None),
    ("I am Alex Sam is helping", "Alex", "Sam", None),
    ("my name is Jo and this is Kim helping", "Jo", "Kim", None),
    ("I'm Zoë, Sam's helping", "Zoë", "Sam", None),
    ("I'm Alex, my partner is Sam", "Alex", "Sam", None),
    ("hi I am Alex with Sam helping", "Alex", "Sam", None),
    ("I'm Mary-Jane O'Brien", "Mary-Jane O'Brien", None, None),
    ("call me Jo", "Jo", None, None),
    ("it's Sam's turn", None, None, "Sam"),
    ("Kai's turn now.", None, None, "Kai"),
    ("Sam is helping", None, "Sam", None),
])
def test_names_in_the_ways_people_say_them(text, stretcher, helper, turn):
    names = parse(text)
    assert (names.stretcher, names.helper, names.turn) == (stretcher, helper, turn)
    assert names.any and not names.rejected


@pytest.mark.parametrize("text", [
    "I'm 🙂", "I'm <b>Alex</b>", "I'm /restart", "I'm " + "a" * 500, "I'm done", "I'm fine",
    "I'm ready", "I'm {name}", "I'm Alex123", "my name is stop", "I'm hurting", "it's your turn",
    "I'm utter_greet", "I'm [Alex](person)", "other person's turn", "the other one's turn",
    "my partner's turn", "her turn now", "whose turn is it",
])
def test_odd_input_is_never_a_name(text):
    names = parse(text)
    assert not names.any


def test_a_refused_name_is_reported_so_the_coach_asks_again():
    assert parse("I'm done").rejected
    assert parse("I'm " + "x" * 40).rejected
    assert not parse("I'm Alex").rejected


@pytest.mark.parametrize("raw, expected", [
    ("alex", "Alex"), ("  Sam. ", "Sam"), ("d'Arcy", "d'Arcy"), ("Anne Marie", "Anne Marie"),
    ("José", "José"), ("李", "李"), ("x" * MAX_NAME, "X" + "x" * (MAX_NAME - 1)),
    ("x" * (MAX_NAME + 1), None), ("Al3x", None), ("<script>", None), ("a{b}", None),
    ("next", None), ("Stop", None), ("", None), (None, None), ("Sam\nAlex", "Sam Alex"),
])
def test_clean_name(raw, expected):
    assert clean_name(raw) == expected
