"""Every id that goes into a URL path stays inside its one segment, or is refused."""

from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, strategies as st

from kiosk.loyalty import errors, ids
from kiosk.loyalty.annex import requests as rq

BASE = "https://loyalty.example.com/api/3.0/"

BUILDERS = {
    "users/{id}": rq.get_user,
    "points/{id}": rq.get_points,
    "users/{id}/reward": rq.get_rewards,
    "orders/{id}": rq.get_order,
    "incentive/validatecode/{id}": rq.validate_code,
    "incentive/usercodedetails/{id}": rq.member_codes,
    "orders/{id}#patch": rq.return_order,
}

NASTY = ["..", ".", "../admin", "%2e%2e", "%2E%2E/x", "a/b", "a\\b", "a?b=c", "a#b", "a\r\nX: y", "a\x00b",
         "\u202eevil", "ｕｓｅｒ", " M100001", "M100001 ", "", "a" * 300, "..%2f", ".hidden", "@", "a;b", "a%00"]


def _segments_after_base(request_path: str) -> list[str]:
    url = httpx.Client(base_url=BASE).build_request("GET", request_path).url
    assert url.host == "loyalty.example.com"
    assert url.raw_path.decode().startswith("/api/3.0/"), url
    return url.raw_path.decode()[len("/api/3.0/"):].split("?")[0].split("/")


def _check(template: str, value: str) -> None:
    build = BUILDERS[template]
    try:
        request = build(value)
    except errors.InvalidIdentifier as exc:
        assert exc.user_message  # refused, with a sentence
        return
    expected = template.split("#")[0].split("/")
    got = _segments_after_base(request.path)
    assert len(got) == len(expected), (value, got)
    for want, seg in zip(expected, got):
        if want == "{id}":
            assert unquote(seg) == value
            assert seg not in (".", "..")
        else:
            assert seg == want


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("template", sorted(BUILDERS))
def test_nasty_ids_are_refused_or_contained(template, value):
    _check(template, value)


@pytest.mark.parametrize("value", ["..", "%2e%2e", "a/b", "a\r\nb", "a\x00", "\u202eM1", ""])
def test_path_escapes_are_refused_outright(value):
    with pytest.raises(errors.InvalidIdentifier):
        rq.get_user(value)


def test_ordinary_ids_pass():
    assert rq.get_user("user@domain.com").path == "users/user@domain.com"
    assert rq.get_points("+15550100002").path == "points/+15550100002"
    assert rq.validate_code("GC-1000-0001").path == "incentive/validatecode/GC-1000-0001"


@given(value=st.text(max_size=200), template=st.sampled_from(sorted(BUILDERS)))
def test_any_text_is_refused_or_fills_exactly_its_segment(value, template):
    _check(template, value)


@given(value=st.text(alphabet=st.sampled_from(list("./%2eE@+-_aZ09\\?#")), max_size=12),
       template=st.sampled_from(sorted(BUILDERS)))
def test_dot_and_percent_soup_never_leaves_the_template(value, template):
    _check(template, value)


def test_write_builders_check_their_ids_too():
    from decimal import Decimal
    from kiosk.loyalty.models import CodeSpend, Order, OrderLine

    with pytest.raises(errors.InvalidIdentifier):
        rq.update_code(CodeSpend("GC-1", "../x", "ref"))
    with pytest.raises(errors.InvalidIdentifier):
        rq.update_code(CodeSpend("../GC", "M1", "ref"))
    with pytest.raises(errors.InvalidIdentifier):
        rq.create_order(Order("../o", "M1", Decimal("1.00"), (OrderLine("1", "x", Decimal("1.00"), 1),)))
    with pytest.raises(errors.InvalidIdentifier):
        rq.update_codes("../1", [])
    assert ids.segment("member", "a+b@c.d") == "a+b@c.d"
