"""Who am I, and the offices I may see."""

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from core.models import Office
from core.permissions import memberships_of, offices_visible_to

from ..errors import READ_ERRORS
from ..paging import PageParams, page_of, paginate
from .common import object_id

router = Router(tags=["core"])


class MembershipOut(Schema):
    office_id: int
    office_code: str
    role: str
    role_label: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    nip: str
    is_superuser: bool
    memberships: list[MembershipOut]
    token_scope: str


class OfficeOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    region_code: str
    email: str


def office_out(office: Office) -> dict:
    return {
        "id": office.pk,
        "code": office.code,
        "name": office.name,
        "short_name": office.short_name,
        "kind": office.kind,
        "parent_id": office.parent_id,
        "region_code": office.region.code if office.region_id else "",
        "email": office.email,
    }


@router.get("/me", response={200: MeOut, **READ_ERRORS}, summary="The token's user and roles")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name(),
        "nip": user.nip,
        "is_superuser": user.is_superuser,
        "memberships": [
            {
                "office_id": m.office_id,
                "office_code": m.office.code,
                "role": m.role,
                "role_label": m.get_role_display(),
            }
            for m in memberships_of(user)
        ],
        "token_scope": request.api_token.scope,
    }


@router.get(
    "/offices", response={200: page_of(OfficeOut), **READ_ERRORS}, summary="Offices in scope"
)
def office_list(request, page: Query[PageParams]):
    offices = offices_visible_to(request.user).select_related("region").order_by("code")
    return paginate(offices, page, office_out)


@router.get("/offices/{office_id}", response={200: OfficeOut, **READ_ERRORS}, summary="An office")
def office_detail(request, office_id: int = object_id()):
    offices = offices_visible_to(request.user).select_related("region")
    return office_out(get_object_or_404(offices, pk=office_id))
