from django.urls import path

from decisions import views, workbench_views

app_name = "decisions"
urlpatterns = [
    path("", workbench_views.workbench, name="workbench"),
    path("bulk/", workbench_views.bulk, name="bulk"),
    path("views/new/", workbench_views.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", workbench_views.saved_view_delete, name="saved_view_delete"),
    path("applications/<str:reference>/", views.application_detail, name="application"),
    path("applications/<str:reference>/<slug:slug>/", views.step, name="step"),
    path("panels/", views.panels, name="panels"),
    path("panels/new/", views.panel_create, name="panel_create"),
    path("panels/<int:pk>/", views.panel_detail, name="panel"),
    path("panels/<int:pk>/agenda/", views.panel_agenda, name="panel_agenda"),
    path("panels/<int:pk>/register/", views.panel_register, name="panel_register"),
    path("panels/<int:pk>/items/<int:position>/", views.panel_item, name="panel_item"),
]
