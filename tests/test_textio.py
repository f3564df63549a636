import pytest

from dedup.textio import InputError, decode, read_text
from tests.conftest import SEED


def test_trailing_nul_padding_is_text_and_nul_inside_is_binary(seed_text: str) -> None:
    legacy = seed_text.encode("cp1256")
    assert decode("padded.txt", legacy + b"\x00", "cp1256") == seed_text
    assert decode("padded.txt", legacy + b"\x00" * 512, "cp1256") == seed_text
    with pytest.raises(InputError, match="binary file"):
        decode("inside.txt", legacy[:100] + b"\x00" + legacy[100:], "cp1256")
    with pytest.raises(InputError, match="empty file"):
        decode("zeros.bin", b"\x00" * 8)


def test_the_encoding_hint_names_a_flag_only_when_the_caller_has_one(tmp_path) -> None:
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(SEED.read_text(encoding="utf-8").encode("cp1256"))
    with pytest.raises(InputError) as without_flag:
        read_text(str(legacy))
    assert without_flag.value.reason == "not valid utf-8 at byte 0 (legacy Arabic text is often cp1256)"
    with pytest.raises(InputError) as with_flag:
        read_text(str(legacy), "utf-8", "--encoding")
    assert with_flag.value.reason.endswith("(legacy Arabic text is often --encoding cp1256)")
