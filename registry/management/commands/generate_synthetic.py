"""manage.py generate_synthetic: fill a test database with synthetic substances, to measure scale.

Everything it writes is marked so that it can never pass for real data: every uid starts with
`syn-`, every row's notes say SYNTHETIC, the two instruments it cites are titled as synthetic,
and CAS numbers, where given, lie in the block 9900000-00-0 to 9999999-99-9, far above any
number CAS has assigned (assignment is sequential and has not reached four million). The
writes go through registry.services' bulk path, so the change feed records every row and stays
exact; `--purge` removes the synthetic rows the same way, leaving a `deleted` change for each.

It refuses to run without --i-know-this-is-not-production.
"""

import datetime
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry import services
from registry.models import Change, Instrument, Jurisdiction, Listing, Schedule
from substances import search
from substances.models import Name, Substance
from substances.validators import cas_check_digit

PREFIX = "syn-"
NOTE = "SYNTHETIC test data made by manage.py generate_synthetic; not a real substance."
SYNTHETIC_CAS_BASE = 9_900_000

# Name parts in the style of new psychoactive substances' names, English with Chinese.
SUBSTITUENTS = [
    ("4-fluoro", "4-氟"),
    ("3-fluoro", "3-氟"),
    ("2-fluoro", "2-氟"),
    ("4-chloro", "4-氯"),
    ("3-chloro", "3-氯"),
    ("4-bromo", "4-溴"),
    ("4-methyl", "4-甲基"),
    ("3-methyl", "3-甲基"),
    ("4-methoxy", "4-甲氧基"),
    ("3,4-dimethyl", "3,4-二甲基"),
    ("3,4-methylenedioxy", "3,4-亚甲二氧基"),
    ("2,5-dimethoxy", "2,5-二甲氧基"),
    ("4-ethyl", "4-乙基"),
    ("4-iodo", "4-碘"),
    ("4-trifluoromethyl", "4-三氟甲基"),
    ("5-chloro", "5-氯"),
    ("5-fluoro", "5-氟"),
    ("6-methoxy", "6-甲氧基"),
    ("4-hydroxy", "4-羟基"),
    ("2-methyl", "2-甲基"),
]
N_GROUPS = [
    ("", ""),
    ("N-methyl-", "N-甲基"),
    ("N-ethyl-", "N-乙基"),
    ("N-propyl-", "N-丙基"),
    ("N-isopropyl-", "N-异丙基"),
    ("N,N-dimethyl-", "N,N-二甲基"),
    ("N,N-diethyl-", "N,N-二乙基"),
    ("N-benzyl-", "N-苄基"),
    ("α-methyl-", "α-甲基"),
    ("α-ethyl-", "α-乙基"),
    ("N-cyclopropyl-", "N-环丙基"),
    ("N-butyl-", "N-丁基"),
]
CORES = [
    ("cathinone", "卡西酮"),
    ("pentedrone", "戊卡西酮"),
    ("hexedrone", "己卡西酮"),
    ("pyrovalerone", "吡咯戊酮"),
    ("tryptamine", "色胺"),
    ("phenethylamine", "苯乙胺"),
    ("amphetamine", "苯丙胺"),
    ("methcathinone", "甲卡西酮"),
    ("butyrfentanyl", "丁酰芬太尼"),
    ("acetylfentanyl", "乙酰芬太尼"),
    ("isotonitazene", "异托尼秦"),
    ("etonitazene", "依托尼秦"),
    ("ketamine", "氯胺酮"),
    ("phencyclidine", "苯环利定"),
    ("diazepam", "地西泮"),
    ("etizolam", "依替唑仑"),
    ("indazole-3-carboxamide", "吲唑-3-甲酰胺"),
    ("indole-3-carboxylate", "吲哚-3-甲酸酯"),
    ("piperazine", "哌嗪"),
    ("aminoindane", "氨基茚满"),
    ("benzofuran", "苯并呋喃"),
    ("lysergamide", "麦角酰胺"),
    ("methylphenidate", "哌甲酯"),
    ("propiophenone", "苯丙酮"),
    ("desoxypipradrol", "去氧哌苯甲醇"),
    ("thiophene", "噻吩"),
    ("oxazepam", "奥沙西泮"),
    ("morphinan", "吗啡喃"),
    ("benzimidazolone", "苯并咪唑酮"),
    ("cyclohexylamine", "环己胺"),
]
CODE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def synthetic_cas(index: int) -> str:
    """A CAS-shaped number with a valid check digit, in the block reserved for synthetic rows."""
    body = f"{SYNTHETIC_CAS_BASE + index // 100}-{index % 100:02d}-"
    return body + str(cas_check_digit(body + "0"))


class Namer:
    """Plausible, varied names for synthetic substance number `i`, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def names(self, i: int) -> tuple[str, str, list[tuple[str, str, str]]]:
        r = self.random
        sub_en, sub_zh = SUBSTITUENTS[i % len(SUBSTITUENTS)]
        n_en, n_zh = N_GROUPS[(i // len(SUBSTITUENTS)) % len(N_GROUPS)]
        core_en, core_zh = CORES[(i // (len(SUBSTITUENTS) * len(N_GROUPS))) % len(CORES)]
        variant = i // (len(SUBSTITUENTS) * len(N_GROUPS) * len(CORES))
        name_en = f"{sub_en}-{n_en}{core_en}"
        name_zh = f"{sub_zh}{n_zh}{core_zh}"
        if variant:
            # Past the combinations, a ring position or chain length tells the rest apart.
            name_en = f"{name_en} {variant}'-homologue"
            name_zh = f"{name_zh}（{variant}′-同系物）"
        letters = "".join(r.choice(CODE_LETTERS) for _ in range(r.randint(2, 4)))
        code = f"{r.choice(['', '4F-', '5F-', '5Cl-', '3-Me-'])}{letters}-{r.randint(1, 999)}"
        others = [(code, "und", Name.Kind.CODE)]
        if r.random() < 0.6:
            others.append((f"{sub_en}{n_en.rstrip('-')} {core_en}".strip(), "en", "synonym"))
        if r.random() < 0.4:
            others.append((f"{core_zh}类似物{i % 97}", "zh", "synonym"))
        if r.random() < 0.2:
            street = r.choice(["bath salt", "spice", "K powder", "flakka", "crystal", "molly"])
            others.append((f"{street} {letters.lower()}", "en", Name.Kind.STREET))
        return name_en, name_zh, others


class Command(BaseCommand):
    help = (
        "Fill a TEST database with synthetic substances (uids syn-..., marked SYNTHETIC), their "
        "names and listings on the real schedules under a synthetic instrument, through the "
        "services' bulk path (one change row per resource). --purge removes them the same way."
    )

    def add_arguments(self, parser):
        parser.add_argument("--substances", type=int, default=1000, help="how many to create")
        parser.add_argument("--batch", type=int, default=5000, help="substances per transaction")
        parser.add_argument("--seed", type=int, default=20250701)
        parser.add_argument(
            "--purge", action="store_true", help="remove every synthetic row instead"
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="confirmed",
            help="required: this command fills the database it runs against",
        )

    def handle(self, *args, substances: int, batch: int, seed: int, purge: bool, **options):
        if not options["confirmed"]:
            raise CommandError(
                "This writes synthetic rows into the database it runs against. Run it only on a "
                "test database, with --i-know-this-is-not-production."
            )
        self.verbosity = options["verbosity"]
        self.actor = services.Actor(name="generate_synthetic", via="command")
        if purge:
            self.purge()
            return
        if substances < 1:
            raise CommandError("--substances must be at least 1.")
        self.generate(substances, max(1, batch), seed)

    # --- generating -------------------------------------------------------------------------

    def generate(self, count: int, batch: int, seed: int) -> None:
        started = time.monotonic()
        jurisdiction = Jurisdiction.objects.filter(code="CN").first()
        schedules = list(Schedule.objects.filter(jurisdiction=jurisdiction).order_by("sort_order"))
        if not schedules:
            raise CommandError("No CN schedules: load the real data first (load_registry).")
        current = [s for s in schedules if s.uid.endswith("2025")] or schedules
        weights = [6 if s.regime == Schedule.Regime.NONMEDICAL else 1 for s in current]
        earlier = next((s for s in schedules if s.uid == "cn-nonmedical-2015"), None)
        # Each run gets its own uids: a uid, once used, is never used again (even after purge).
        run = f"{Change.objects.head():x}"
        offset = Substance.objects.filter(uid__startswith=PREFIX).count()
        first_instrument, second_instrument = self._instruments(jurisdiction, run)
        namer = Namer(seed)
        pick = random.Random(seed + 1)
        made = {"substance": 0, "name": 0, "listing": 0}
        for start in range(0, count, batch):
            size = min(batch, count - start)
            with transaction.atomic():
                subs, other_names = [], []
                for i in range(start, start + size):
                    name_en, name_zh, others = namer.names(offset + i)
                    other_names.append(others)
                    subs.append(
                        Substance(
                            uid=f"{PREFIX}{run}-{i}",
                            name_en=name_en,
                            name_zh=name_zh,
                            kind=Substance.Kind.COMPOUND,
                            cas=synthetic_cas(offset + i) if pick.random() < 0.3 else "",
                            notes=NOTE,
                        )
                    )
                services.bulk_create_resources(subs, actor=self.actor)
                names, listings = [], []
                for substance, others in zip(subs, other_names, strict=True):
                    for j, (text, language, kind) in enumerate(others):
                        names.append(
                            Name(
                                uid=f"{substance.uid}-n{j}",
                                substance=substance,
                                name=text,
                                language=language,
                                kind=kind,
                                source=NOTE,
                            )
                        )
                    listings.extend(
                        self._listings(
                            substance,
                            pick,
                            current,
                            weights,
                            earlier,
                            first_instrument,
                            second_instrument,
                        )
                    )
                services.bulk_create_resources(names, actor=self.actor)
                services.bulk_create_resources(listings, actor=self.actor)
            made["substance"] += size
            made["name"] += len(names)
            made["listing"] += len(listings)
            self._progress(made, count, started)
        # The new substances sort apart in the search document until ranked in uid order.
        ranking = time.monotonic()
        if ranked := search.order_document():
            self.stdout.write(
                f"Ranked the search documents in uid order ({ranked} new) in "
                f"{time.monotonic() - ranking:.1f} s."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {made['substance']} synthetic substances, {made['name']} names and "
                f"{made['listing']} listings in {time.monotonic() - started:.1f} s; "
                f"feed head {Change.objects.head()}."
            )
        )

    def _instruments(self, jurisdiction, run: str) -> tuple[Instrument, Instrument]:
        made = []
        for suffix, day in (("a", datetime.date(2020, 1, 1)), ("b", datetime.date(2025, 7, 1))):
            made.append(
                services.record_instrument(
                    actor=self.actor,
                    uid=f"{PREFIX}{run}-instrument-{suffix}",
                    jurisdiction=jurisdiction,
                    reference=f"SYNTHETIC {run}-{suffix}",
                    title_en="SYNTHETIC instrument for scale tests; not a legal act",
                    title_zh="合成测试数据，非法律文件",
                    published_on=day,
                    effective_on=day,
                    notes=NOTE,
                )
            )
        return made[0], made[1]

    @staticmethod
    def _listings(substance, pick, current, weights, earlier, first, second) -> list[Listing]:
        if pick.random() < 0.05:
            return []  # some synthetic substances are known but not controlled
        listings = []
        schedule = pick.choices(current, weights)[0]
        if earlier is not None and pick.random() < 0.1:
            # A rescheduled one: on the earlier list until the synthetic second instrument.
            listings.append(
                Listing(
                    uid=f"{substance.uid}-l0",
                    schedule=earlier,
                    substance=substance,
                    effective_from=first.effective_on,
                    effective_to=second.effective_on,
                    listed_by=first,
                    ended_by=second,
                    notes=NOTE,
                )
            )
        listings.append(
            Listing(
                uid=f"{substance.uid}-l1",
                schedule=schedule,
                substance=substance,
                effective_from=second.effective_on,
                listed_by=second,
                notes=NOTE,
            )
        )
        return listings

    # --- purging ----------------------------------------------------------------------------

    def purge(self) -> None:
        started = time.monotonic()
        total = 0
        for model in (Listing, Name, Substance, Instrument):
            synthetic = model.objects.filter(uid__startswith=PREFIX)
            while True:
                chunk = list(synthetic.order_by("pk").values_list("pk", flat=True)[:5000])
                if not chunk:
                    break
                with transaction.atomic():
                    changes = services.bulk_delete_resources(
                        model.objects.filter(pk__in=chunk), actor=self.actor
                    )
                total += len(changes)
                if self.verbosity:
                    self.stdout.write(f"  removed {total} synthetic rows ...")
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {total} synthetic rows in {time.monotonic() - started:.1f} s; "
                f"feed head {Change.objects.head()}."
            )
        )

    def _progress(self, made: dict, count: int, started: float) -> None:
        if not self.verbosity:
            return
        elapsed = time.monotonic() - started
        rate = made["substance"] / elapsed if elapsed else 0
        self.stdout.write(
            f"  {made['substance']:,} / {count:,} substances, {made['name']:,} names, "
            f"{made['listing']:,} listings ({rate:,.0f} substances/s)"
        )
