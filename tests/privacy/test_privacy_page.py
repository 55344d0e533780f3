"""The privacy page tells both kinds of respondent what is true for them."""

import pytest


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", ("Answering without an account", "keyed hash", "anonymous", "confidential")),
        ("vi", ("không cần tài khoản", "băm có khóa", "ẩn danh", "bảo mật", "anh/chị")),
    ],
)
def test_the_page_describes_anonymous_mode_and_signed_in_answers(client, lang, words):
    client.get(f"/lang/{lang}")
    page = client.get("/privacy").text
    for word in words:
        assert word in page
