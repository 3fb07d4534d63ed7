from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind, User


class StyledFormMixin:
    """Give every widget its Bootstrap class, so templates render fields without filters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)
            ):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password. Letter case matters in both."),
    }

    def clean(self):
        # A name longer than the column cannot be anyone's: refuse it as a wrong login before
        # authenticate(), so the lockout table (django-axes) never has to store it.
        username = self.cleaned_data.get("username") or ""
        if len(username) > self.username_field.max_length:
            raise self.get_invalid_login_error()
        return super().clean()


class NotificationSettingsForm(StyledFormMixin, forms.Form):
    """Which kinds of e-mail the user wants: every kind is on unless switched off."""

    kinds = forms.MultipleChoiceField(
        label=_("E-mails I want to receive"),
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ProfileForm(StyledFormMixin, forms.ModelForm):
    """The user's own display name and NIP (the model validates the NIP, for the admin too)."""

    class Meta:
        model = User
        fields = ["full_name", "nip"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Spaces and dots typed between the digit groups are removed before the 18-digit check.
        self.fields["nip"].max_length = None
        self.fields["nip"].validators = []
        self.fields["nip"].widget.attrs.update({"maxlength": "30", "inputmode": "numeric"})

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_nip(self):
        return "".join(self.cleaned_data["nip"].replace(".", " ").split())
