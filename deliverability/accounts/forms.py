from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.template import loader
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from deliverability.accounts.models import AuditEvent, Membership, Organization


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the mail sent by a background task after the request.

    The answer then takes the same time for a known and an unknown address: no SMTP conversation
    happens inside the request for either."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from deliverability.accounts.language import recipient_language
        from deliverability.accounts.tasks import send_account_mail
        from deliverability.taskqueue import dispatch

        # In the recipient's language (their saved choice, else English), not the requester's browser's.
        with translation.override(recipient_language(context.get("user"))):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
            html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        dispatch(send_account_mail, subject, body, [to_email], html)


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=320, label=_("Email"))
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.VIEWER, label=_("Role"))


def _time_zones() -> list[tuple[str, str]]:
    import zoneinfo

    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))] + [("UTC", "UTC")]


class OrganizationForm(forms.ModelForm):
    """A new client organisation (staff), with an optional first invitation."""

    invite_email = forms.EmailField(max_length=320, required=False, label=_("Invite someone now (email)"),
                                    help_text=_("Optional: the first person at the client to get access."))
    invite_role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MANAGER,
                                    label=_("Their role"))

    class Meta:
        model = Organization
        fields = ["name", "slug", "timezone", "language"]
        labels = {"name": _("Name"), "slug": _("Short name in addresses"), "timezone": _("Time zone"),
                  "language": _("Language")}
        help_texts = {
            "slug": _("Letters, digits and hyphens, as in /o/lumen-analytics/; made from the name when left empty."),
            "timezone": _("Weeks run Monday to Sunday in this time zone (weekly review, digest)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["timezone"] = forms.ChoiceField(choices=_time_zones(), initial="Europe/Madrid",
                                                    label=self.fields["timezone"].label,
                                                    help_text=self.fields["timezone"].help_text)

    def clean_slug(self):
        from django.utils.text import slugify

        slug = self.cleaned_data.get("slug") or slugify(self.data.get("name", ""))[:80]
        if not slug:
            raise forms.ValidationError(_("Give a short name of letters, digits and hyphens."))
        if Organization.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("%(slug)s is taken by another organisation; choose another.") % {"slug": slug})
        return slug


class RoleForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    role = forms.ChoiceField(choices=Membership.Role.choices)


class RetentionForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["retention_days"]
        labels = {"retention_days": _("Retention period (days)")}
        widgets = {"retention_days": forms.NumberInput(attrs={"min": 30})}

    def clean_retention_days(self):
        days = self.cleaned_data["retention_days"]
        if days is not None and days < 30:
            raise forms.ValidationError(_("At least 30 days: a shorter period would delete campaigns under review."))
        return days


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()],
                               label=_("User name"), help_text=_("Letters, digits and @ . + - _ only."))
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken; choose another."))
        return username

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            user = get_user_model()(username=data.get("username", ""))
            try:
                password_validation.validate_password(data["password1"], user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class EraseForm(forms.Form):
    email = forms.EmailField(max_length=320, label=_("Address to erase"))
    confirm = forms.BooleanField(label=_("I understand this cannot be undone"))


class AuditFilterForm(forms.Form):
    organization = forms.ModelChoiceField(Organization.objects.all(), required=False, to_field_name="slug",
                                          empty_label=_("any"), label=_("Organisation"))
    action = forms.ChoiceField(choices=[("", _("any"))] + list(AuditEvent.Action.choices), required=False,
                               label=_("Action"))
    user = forms.CharField(max_length=150, required=False, label=_("User name"))
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("From"))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("To"))

    def apply(self, qs):
        data = self.cleaned_data
        if data.get("organization"):
            qs = qs.filter(organization=data["organization"])
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("user"):
            qs = qs.filter(username__iexact=data["user"].strip())
        if data.get("since"):
            qs = qs.filter(at__gte=timezone.make_aware(datetime.combine(data["since"], time.min)))
        if data.get("until"):
            qs = qs.filter(at__lt=timezone.make_aware(datetime.combine(data["until"], time.max)))
        return qs
