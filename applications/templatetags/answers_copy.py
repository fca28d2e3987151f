"""`{% answers_copy_link app %}`: the link to the copy of the answers a group sent (PDF), on the
confirmation and status pages, once they have sent them."""

from django import template

from applications.answers_copy import answers_copy_kept, was_sent

register = template.Library()


@register.inclusion_tag("applications/includes/answers_copy_link.html")
def answers_copy_link(app):
    return {"app": app, "sent": was_sent(app), "copy": answers_copy_kept(app)}
