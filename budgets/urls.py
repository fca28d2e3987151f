from django.urls import path

from budgets import views

app_name = "budgets"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/<int:year>/", views.overview, name="overview"),
    path("<str:code>/<int:year>/councillors/<int:councillor>/", views.statement, name="statement"),
]
