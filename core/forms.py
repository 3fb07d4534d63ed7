from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind, Office, Role, User


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


class StyledSetPasswordForm(StyledFormMixin, SetPasswordForm):
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


# --- people ------------------------------------------------------------------------------------


class PersonFieldsMixin:
    """Name, NIP and position as documents print them: spaces squeezed, the NIP's digit groups
    joined (the model validates the 18 digits)."""

    def _person_fields(self):
        self.fields["nip"].max_length = None
        self.fields["nip"].validators = []
        self.fields["nip"].widget.attrs.update({"maxlength": "30", "inputmode": "numeric"})
        self.fields["email"].required = True

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_nip(self):
        return "".join(self.cleaned_data["nip"].replace(".", " ").split())


class PersonForm(PersonFieldsMixin, StyledFormMixin, forms.ModelForm):
    """Another person's account data, edited by the team lead or an administrator."""

    class Meta:
        model = User
        fields = ["full_name", "email", "nip", "position"]
        help_texts = {
            "full_name": _("The name with titles, as documents print it."),
            "nip": _("18 digits; printed under the name on the documents the person signs."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._person_fields()
        self.fields["full_name"].required = True


class RoleChoiceMixin:
    def _role_fields(self, offices, roles):
        self.fields["office"].queryset = offices
        self.fields["role"].choices = [("", "---------")] + [
            (role, Role(role).label) for role in roles
        ]


class InviteForm(PersonFieldsMixin, RoleChoiceMixin, StyledFormMixin, forms.ModelForm):
    """A new account: who, and their first role. The invitation goes to the e-mail address."""

    office = forms.ModelChoiceField(queryset=Office.objects.none(), label=_("Office"))
    role = forms.ChoiceField(label=_("Role"))

    class Meta:
        model = User
        fields = ["full_name", "email", "username", "nip", "position"]
        help_texts = {
            "full_name": _("The name with titles, as documents print it."),
            "username": _("For logging in. Leave empty to use the part of the e-mail before @."),
            "nip": _("18 digits; printed under the name on the documents the person signs."),
        }

    def __init__(self, *args, offices, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self._person_fields()
        self._role_fields(offices, roles)
        self.fields["full_name"].required = True
        self.fields["username"].required = False

    def validate_unique(self):
        """Uniqueness is the service's check (it names the account that has the e-mail)."""

    def _post_clean(self):
        # The service builds and validates the account; the form checks the fields only.
        pass


class MembershipForm(RoleChoiceMixin, StyledFormMixin, forms.Form):
    office = forms.ModelChoiceField(queryset=Office.objects.none(), label=_("Office"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, offices, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self._role_fields(offices, roles)


class DeactivateForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("E.g. moved to another office, retired. Kept in the history."),
    )


class PeopleFilterForm(StyledFormMixin, forms.Form):
    """The filters of the people list; unknown values are ignored, not errors."""

    office = forms.ModelChoiceField(
        queryset=Office.objects.none(),
        required=False,
        label=_("Office"),
        empty_label=_("All offices"),
    )
    status = forms.ChoiceField(
        choices=[
            ("", _("Active and deactivated")),
            ("aktif", _("Active")),
            ("nonaktif", _("Deactivated")),
        ],
        required=False,
        label=_("Status"),
    )
    q = forms.CharField(required=False, label=_("Search"), max_length=100)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class XlsxImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_("The first sheet of the downloaded template, with its header in row 1."),
    )
