"""What the API tests share: clients, a small registry built in code, and a sync transport."""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.test import APIClient

from registry import services
from registry.api import throttling
from registry.models import Change
from registry.representations import iter_all
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    NameFactory,
    PrecursorUseFactory,
    RelationFactory,
    ScheduleFactory,
    SubstanceFactory,
    api_token,
)

D = datetime.date


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Throttle counters live in the cache, and a worker's leases of them in the process; each
    # test starts with none.
    cache.clear()
    throttling._leases.clear()
    yield
    cache.clear()
    throttling._leases.clear()


@pytest.fixture
def anon():
    return APIClient()


def _token_client(username: str, perms: list[str], scope: str = "write"):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user, scope)}")
    client.user = user
    return client


@pytest.fixture
def curator():
    """A token whose account may add, change and delete every public resource."""
    perms = [
        f"{app}.{verb}_{model}"
        for app, models in {
            "substances": ["substance", "name", "relation", "substanceclass", "precursoruse"],
            "registry": ["instrument", "listing"],
        }.items()
        for model in models
        for verb in ("add", "change", "delete")
    ]
    return _token_client("curator", perms)


@pytest.fixture
def reader_token():
    """A valid read-only token of an account without any permission."""
    return _token_client("reader", [], scope="read")


class Registry:
    """A small registry: two lists in CN, one in UN, listings past and present, a class."""

    def __init__(self):
        self.cn = JurisdictionFactory(code="CN", uid="cn", name="China")
        self.un = JurisdictionFactory(code="UN", uid="un", name="United Nations")
        self.psy1 = ScheduleFactory(
            jurisdiction=self.cn, code="PSY1", uid="cn-psy1", regime="psychotropic"
        )
        self.npsl = ScheduleFactory(
            jurisdiction=self.cn, code="NPS", uid="cn-nps", regime="nonmedical"
        )
        self.un1 = ScheduleFactory(jurisdiction=self.un, code="I", uid="un-1", regime="narcotic")
        self.a2013 = InstrumentFactory(
            jurisdiction=self.cn,
            uid="cn-2013",
            reference="2013-230",
            published_on=D(2013, 11, 11),
            effective_on=D(2014, 1, 1),
        )
        self.a2019 = InstrumentFactory(
            jurisdiction=self.cn,
            uid="cn-2019",
            reference="2019-12",
            published_on=D(2019, 4, 1),
            effective_on=D(2019, 5, 1),
        )
        self.a2021 = InstrumentFactory(
            jurisdiction=self.cn, uid="cn-2021", reference="2021-7", effective_on=None
        )
        self.un_instrument = InstrumentFactory(
            jurisdiction=self.un,
            uid="un-1961",
            reference="Single Convention 1961",
            published_on=D(1961, 3, 30),
            effective_on=D(1964, 12, 13),
        )
        self.fentanyl = SubstanceFactory(
            uid="fentanyl",
            name_en="Fentanyl",
            name_zh="芬太尼",
            cas="437-38-7",
            smiles="CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        )
        self.fentanyl_citrate = SubstanceFactory(
            uid="fentanyl-citrate",
            name_en="Fentanyl citrate",
            kind="form",
        )
        RelationFactory(
            uid="r-fentanyl-citrate", subject=self.fentanyl_citrate, target=self.fentanyl
        )
        self.apvp = SubstanceFactory(uid="a-pvp", name_en="α-PVP", name_zh="α-吡咯烷苯戊酮")
        self.mdmb = SubstanceFactory(uid="5f-mdmb-pica", name_en="5F-MDMB-PICA")
        self.npp = SubstanceFactory(uid="npp", name_en="N-Phenethyl-4-piperidone")
        NameFactory(substance=self.apvp, name="alpha-pyrrolidinovalerophenone", uid="n-apvp-1")
        NameFactory(substance=self.mdmb, name="5F-MDMB-PICA", language="und", kind="code")
        NameFactory(substance=self.fentanyl, name="芬太尼", language="zh", uid="n-fent-zh")
        PrecursorUseFactory(uid="pu-npp-fentanyl", precursor=self.npp, product=self.fentanyl)
        self.fentanyls = services.define_class(
            actor=services.Actor.system("tests"),
            uid="fentanyl-related",
            name_en="Fentanyl-related substances",
            rules=[{"label": "core", "smarts": "O=CN(c1ccccc1)C1CCNCC1"}],
        )
        self.l_fentanyl = ListingFactory(
            uid="l-fentanyl",
            schedule=self.psy1,
            substance=self.fentanyl,
            effective_from=D(2014, 1, 1),
            listed_by=self.a2013,
        )
        self.l_apvp_old = ListingFactory(
            uid="l-apvp-psy1",
            schedule=self.psy1,
            substance=self.apvp,
            effective_from=D(2014, 1, 1),
            listed_by=self.a2013,
        )
        services.delist(
            listing=self.l_apvp_old,
            instrument=self.a2019,
            effective_to=D(2019, 5, 1),
            actor=services.Actor.system("tests"),
        )
        self.l_apvp_new = ListingFactory(
            uid="l-apvp-nps",
            schedule=self.npsl,
            substance=self.apvp,
            effective_from=D(2019, 5, 1),
            listed_by=self.a2019,
        )
        self.l_mdmb = ListingFactory(
            uid="l-mdmb",
            schedule=self.npsl,
            substance=self.mdmb,
            effective_from=D(2021, 7, 1),
            listed_by=self.a2021,
        )
        self.l_class = ListingFactory(
            uid="l-fentanyl-class",
            schedule=self.npsl,
            substance=None,
            substance_class=self.fentanyls,
            effective_from=D(2019, 5, 1),
            listed_by=self.a2019,
        )
        self.l_un = ListingFactory(
            uid="l-un-fentanyl",
            schedule=self.un1,
            substance=self.fentanyl,
            effective_from=D(1964, 12, 13),
            listed_by=self.un_instrument,
        )


@pytest.fixture
def registry(db):
    return Registry()


def head() -> int:
    return Change.objects.head()


def registry_now() -> dict:
    """The registry as a sync client should see it: every resource's representation."""
    return {(t, uid): json.loads(json.dumps(data)) for t, uid, data in iter_all()}


class DjangoResponse:
    """Enough of a `requests` response, made from a Django test client response."""

    def __init__(self, response):
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def raise_for_status(self):
        if self.status_code >= 400:
            raise AssertionError(f"HTTP {self.status_code}: {self._content()[:500]!r}")

    def _content(self) -> bytes:
        if getattr(self._response, "streaming", False):
            return b"".join(self._response.streaming_content)
        return self._response.content

    def json(self):
        return json.loads(self._content())

    def iter_lines(self):
        # Chunk boundaries need not fall on line ends; join the chunks, then split.
        buffer = b""
        for chunk in self._response.streaming_content:
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            yield from lines
        if buffer:
            yield buffer


class DjangoSession:
    """A `requests.Session` stand-in that sends the sync client's requests to the test server."""

    def __init__(self, client=None):
        self.client = client or APIClient()
        self.requests = 0

    def get(self, url, params=None, headers=None, stream=False, timeout=None):
        self.requests += 1
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        return DjangoResponse(self.client.get(url, params or {}, **extra))
