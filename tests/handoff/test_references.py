from bot.handoff.references import ALPHABET, new_reference, normalise


def test_references_use_no_characters_that_look_alike():
    for character in "0O1IL":
        assert character not in ALPHABET
    for _ in range(500):
        reference = new_reference()
        assert len(reference) == 7 and reference[3] == "-"
        assert set(reference.replace("-", "")) <= set(ALPHABET)


def test_references_are_random_enough_not_to_repeat_in_a_thousand():
    assert len({new_reference() for _ in range(1000)}) == 1000


def test_a_reference_is_found_however_the_call_handler_types_it():
    assert normalise("k7m 4qx") == "K7M-4QX"
    assert normalise(" K7M-4QX ") == "K7M-4QX"
    assert normalise("K7M4QX") == "K7M-4QX"


def test_what_cannot_be_a_reference_is_refused():
    for typed in ("", "K7M-4Q", "K7M-4QXX", "K0M-4QX", "<script>", "K7M-4Q1"):
        assert normalise(typed) is None
