"""The text encoding, without data; tests/system/test_datamodules_fetched.py checks the
DataModules' windows, targets and refusals on the fetched snapshot."""

from seqbench.data.text import UNKNOWN, decode, encode


def test_unknown_characters_map_to_the_unknown_id():
    vocab = ["a", "b", "c"]
    ids = encode("abc€a", vocab)
    assert ids.tolist() == [1, 2, 3, UNKNOWN, 1]
    assert decode(ids.tolist(), vocab) == "abc\ufffda"
