from django.urls import path

from deliverability.webhooks import views

urlpatterns = [
    path("hooks/<str:esp>/<str:token>/", views.hook, name="webhook"),
    path("o/<slug:org_slug>/integrations/", views.integrations, name="integrations"),
    path("o/<slug:org_slug>/integrations/<int:endpoint_id>/rotate/", views.rotate, name="integration_rotate"),
    path("o/<slug:org_slug>/integrations/<int:endpoint_id>/delete/", views.delete, name="integration_delete"),
]
