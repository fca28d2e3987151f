"""`{% landmark "nav" label="Back" %}...{% endlandmark %}`: what is inside, in a landmark of its
own, or nothing at all when it renders empty. Every piece of a page must be inside a landmark
(axe's `region`); a back link that a page puts before <main> gets one, and a page with none gets
no empty landmark for a screen reader to announce."""

from django import template
from django.utils.html import format_html

register = template.Library()

ELEMENTS = {"nav", "aside", "section", "div"}


class LandmarkNode(template.Node):
    def __init__(self, nodelist, element, label, css_class):
        self.nodelist = nodelist
        self.element = element
        self.label = label
        self.css_class = css_class

    def render(self, context):
        inside = self.nodelist.render(context)
        if not inside.strip():
            return ""
        element = self.element.resolve(context)
        if element not in ELEMENTS:
            raise template.TemplateSyntaxError(f"landmark: {element} is not one of {ELEMENTS}")
        label = self.label.resolve(context)
        if self.css_class:
            return format_html(
                '<{0} class="{1}" aria-label="{2}">{3}</{0}>',
                element,
                self.css_class.resolve(context),
                label,
                inside,
            )
        return format_html('<{0} aria-label="{1}">{2}</{0}>', element, label, inside)


@register.tag
def landmark(parser, token):
    """{% landmark "nav" label="Back" class="fm-before-content" %}...{% endlandmark %}"""
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError('landmark takes an element and label="..."')
    element = parser.compile_filter(bits[1])
    options = {}
    for bit in bits[2:]:
        name, _, value = bit.partition("=")
        if name not in ("label", "class") or not value:
            raise template.TemplateSyntaxError(f"landmark: unknown option {bit}")
        options[name] = parser.compile_filter(value)
    if "label" not in options:
        raise template.TemplateSyntaxError('landmark needs label="..."')
    nodelist = parser.parse(("endlandmark",))
    parser.delete_first_token()
    return LandmarkNode(nodelist, element, options["label"], options.get("class"))
