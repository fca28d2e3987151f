"""Every piece of a page inside a landmark (axe's `region`): the back link a page puts before
<main> in a navigation landmark of its own, and no empty landmark on a page without one."""

import pytest
from django.template import Context, Template, TemplateSyntaxError

pytestmark = pytest.mark.django_db


def test_a_back_link_before_main_is_in_a_navigation_landmark(client, treasurer):
    client.force_login(treasurer)
    page = client.get("/apply/organisations/new/").text
    assert '<nav aria-label="Back"><a href="/apply/" class="govuk-back-link">Back</a></nav>' in (
        page
    )
    assert page.index('aria-label="Back"') < page.index("<main")


def test_a_page_without_a_back_link_has_no_empty_landmark(client):
    page = client.get("/sign-in/").text
    assert 'aria-label="Back"' not in page


def test_the_landmark_tag_wraps_only_what_renders():
    template = Template(
        '{% load landmarks %}{% landmark "nav" label="Back" class="x" %}{{ link }}{% endlandmark %}'
    )
    assert template.render(Context({"link": "  "})) == ""
    assert template.render(Context({"link": "<a>"})) == (
        '<nav class="x" aria-label="Back">&lt;a&gt;</nav>'
    )
    with pytest.raises(TemplateSyntaxError):
        Template('{% load landmarks %}{% landmark "nav" %}{% endlandmark %}')
