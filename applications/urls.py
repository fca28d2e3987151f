"""The community-group pages, under /apply/."""

from django.urls import path

from applications import answers_copy, invitation_views, organisation_views, views

app_name = "applications"
urlpatterns = [
    path("", organisation_views.groups_home, name="groups_home"),
    path("create-account/", organisation_views.register, name="register"),
    path("eligibility/", organisation_views.eligibility_questions, name="eligibility"),
    path(
        "eligibility/results/", organisation_views.eligibility_results, name="eligibility_results"
    ),
    path("organisations/new/", organisation_views.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", organisation_views.organisation_detail, name="organisation"),
    path(
        "organisations/<int:pk>/edit/",
        organisation_views.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "organisations/<int:pk>/members/",
        organisation_views.organisation_members,
        name="organisation_members",
    ),
    path(
        "organisations/<int:pk>/invitations/<int:invitation>/withdraw/",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitation_views.invitation, name="invitation"),
    path(
        "organisations/<int:pk>/bank-details/", organisation_views.bank_details, name="bank_details"
    ),
    path("new/", views.application_new, name="application_new"),
    path("new/<int:fund_year>/", views.before_you_start, name="before_you_start"),
    path("applications/<int:pk>/", views.status, name="status"),
    path("applications/<int:pk>/tasks/", views.tasks, name="tasks"),
    path("applications/<int:pk>/about/", views.section_about, name="about"),
    path("applications/<int:pk>/dates/", views.section_dates, name="dates"),
    path("applications/<int:pk>/costs/", views.section_costs, name="costs"),
    path("applications/<int:pk>/amount/", views.section_amount, name="amount"),
    path("applications/<int:pk>/costs/add/", views.budget_line_add, name="budget_line_add"),
    path(
        "applications/<int:pk>/costs/<int:line>/remove/",
        views.budget_line_remove,
        name="budget_line_remove",
    ),
    path("applications/<int:pk>/other-funding/", views.section_other_funding, name="other_funding"),
    path(
        "applications/<int:pk>/other-funding/<int:source>/remove/",
        views.other_funding_remove,
        name="other_funding_remove",
    ),
    path("applications/<int:pk>/documents/", views.section_documents, name="documents"),
    path(
        "applications/<int:pk>/documents/<int:document>/remove/",
        views.document_remove,
        name="document_remove",
    ),
    path("applications/<int:pk>/check/", views.check_answers, name="check_answers"),
    path("applications/<int:pk>/answers.pdf", answers_copy.download, name="answers_copy"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:pk>/accept/", views.accept_offer, name="accept_offer"),
    path("applications/<int:pk>/monitoring/", views.monitoring_report, name="monitoring"),
    path("applications/<int:pk>/done/<slug:what>/", views.confirmation, name="confirmation"),
]
