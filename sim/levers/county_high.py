"""县中托管帮扶: county high schools paired with strong schools outside the county.

The real cases (qingyuan.md, H): the Guangzhou–Qingyuan pairings (广大附中→清远一中 ...),
连南民族高级中学 joining the 清远市第一中学 group (27 young teachers spent a year at 清远一中,
9 subject leaders trained; the school had lost strong students and lacked teachers), and
英德广附 and 广州六中连州实验中学, county high schools run with outside support.

Mechanism, each active year, for the paired schools: the open ``school_types`` with pupils
in the target counties, all of them or ``schools_per_county`` per county chosen by
``select`` (the largest, i.e. the main 县中, the strongest or the weakest). A pairing lasts
while the lever runs; a school another support lever already paired that year is skipped.

* **Quality growth.** The partner's management and teaching research raise the paired
  school's quality target by ``quality_uplift_per_year`` SD a year, up to ``max_uplift``.
  No evaluation of 托管帮扶 was found (evidence.md): an assumption to vary.
* **Fewer top students leave.** At 中考, a share of each county's top-decile students leave
  its county high school for a city school (``enrolment.top_outflow``; evidence.md: 70-85 of
  a county's top 100 leave, M). The lever cuts that share by ``outflow_reduction`` times the
  paired schools' share of the county's general senior pupils
  (``model.policy.top_outflow_factor``). Assumption (L): a trusted paired school keeps a
  third of those who would have left.
* **Training.** ``training_places_per_school`` places a year for the paired schools'
  own teachers (``model.policy.school_training_places``; the workforce phase turns places
  into promotions and degrees).

A paired school counts toward the plan's "1-2 featured high-quality general high schools"
(``n_featured_high_schools``, a documented rule) once it has been supported for at least
``FEATURED_MIN_YEARS`` years and its quality has reached ``FEATURED_QUALITY``, the level the
city's own high schools are built at (0.25 + 0.5 SD above a town school in
``sim.world.build.initial_quality``; with the default seed their 2022 mean is about 0.6 and the
best is 0.81). Without a support programme no school is counted: the plan's target is to
*cultivate* such schools.

Cost: a yearly support fee per paired school (the partner's management and seconded
staff, L) and the training places.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.core.columns import count_by
from sim.levers import register
from sim.levers.base import Lever, LeverParams, school_types_validator
from sim.levers.common import Uplift, ranked_pick
from sim.levers.costs import TRAINING_PLACE_YUAN
from sim.levers.ledger import register_stock
from sim.world.population import SENIOR_GENERAL
from sim.world.schools import type_mask

if TYPE_CHECKING:
    from sim.model import QingyuanModel

SENIOR_GENERAL_TYPES = ("complete_middle", "county_high", "city_high")
FEATURED_QUALITY = 0.75  # SD: the city high schools' level in 2022 (sim.world.build.initial_quality)
FEATURED_MIN_YEARS = 3  # years of support before a school can count as featured


class CountyHighParams(LeverParams):
    """Keys of ``county_high_school_support``."""

    school_types: list[str] = Field(
        default_factory=lambda: ["county_high"], description="General senior school types paired."
    )
    schools_per_county: int | None = Field(
        None, ge=1, le=50, description="Paired schools per county (the largest); none = all of the types."
    )
    select: Literal["largest", "strongest", "weakest"] = Field(
        "largest",
        description="Which schools are paired when limited per county: the largest (the main 县中), "
        "the strongest or the weakest by quality. Schools another support lever already paired "
        "this year are skipped.",
    )
    quality_uplift_per_year: float = Field(
        0.04, ge=0.0, le=0.5, description="Paired schools' quality-target gain a year, SD (L, not found)."
    )
    max_uplift: float = Field(0.3, ge=0.0, le=2.0, description="Cap of the accumulated gain, SD (L).")
    outflow_reduction: float = Field(
        0.3, ge=0.0, le=1.0, description="Relative cut of top-student outflow at paired schools (L)."
    )
    training_places_per_school: int = Field(
        20, ge=0, le=1000, description="Training places a year per paired school (27 in the 连南 case, H)."
    )
    place_cost_yuan: float = Field(TRAINING_PLACE_YUAN, ge=0, le=1e6, description="One training place (M/L).")
    support_fee_yuan: float = Field(
        1_000_000.0, ge=0, le=1e9, description="Partner's fee per paired school-year (L)."
    )

    @field_validator("school_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return school_types_validator(v, SENIOR_GENERAL_TYPES)


@register("county_high_school_support")
class CountyHighSchoolSupport(Lever):
    """Pair county high schools with strong partners: quality, training, fewer top leavers."""

    Params = CountyHighParams
    p: CountyHighParams

    def setup(self, model: QingyuanModel) -> None:
        """Start with no uplift."""
        super().setup(model)
        self.uplift = Uplift()
        self.chosen = np.zeros(len(model.schools), dtype=bool)  # paired last year

    def paired(self, model: QingyuanModel, year: int) -> np.ndarray:
        """This year's paired schools: last year's while open, topped up per county by ``select``.

        A pairing lasts: a school paired once stays paired while the lever runs; a county
        whose paired school closed pairs another.
        """
        schools = self.target_schools(model, self.p.school_types)
        schools = schools[model.school_students[schools] > 0]  # a school without pupils is not paired
        keep = schools[self.chosen[schools]] if len(self.chosen) >= len(model.schools) else schools[:0]
        if self.p.schools_per_county is None:
            return schools
        schools = schools[(model.lever_state.support_year[schools] != year) & ~np.isin(schools, keep)]
        n_keep = np.bincount(model.schools.county[keep], minlength=len(model.counties))
        if len(schools) == 0:
            return keep
        key = {
            "largest": -model.school_students[schools].astype(float),
            "strongest": -model.schools.quality[schools],
            "weakest": model.schools.quality[schools],
        }[self.p.select]
        quota = np.maximum(self.p.schools_per_county - n_keep, 0)
        new = schools[ranked_pick(model.schools.county[schools], key, quota)]
        return np.sort(np.concatenate([keep, new]))

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Grow paired schools' quality, cut top-student outflow, fund training places."""
        s, pop, nc = model.schools, model.pop, len(model.counties)
        if len(self.chosen) < len(s):
            self.chosen = np.concatenate([self.chosen, np.zeros(len(s) - len(self.chosen), dtype=bool)])
        schools = self.paired(model, year)
        self.chosen[:] = False
        self.chosen[schools] = True
        if len(schools) == 0:
            return
        state = model.lever_state
        first = state.supported_since[schools] < 0
        state.supported_since[schools[first]] = year
        state.support_year[schools] = year
        n = len(s)
        self.uplift.set_cap(n, schools, self.p.max_uplift)
        self.uplift.grow(n, schools, self.p.quality_uplift_per_year)
        self.uplift.apply(model)
        # share of the county's general senior pupils at paired schools
        gen = (pop.stage == SENIOR_GENERAL) & (pop.school >= 0)
        at = count_by(pop.school[gen], n)
        senior = type_mask(s.type, SENIOR_GENERAL_TYPES) & s.is_open
        c_all = np.bincount(s.county[senior], at[senior], nc)
        c_paired = np.bincount(s.county[schools], at[schools], nc)
        share = np.divide(c_paired, c_all, out=np.zeros(nc), where=c_all > 0)
        model.policy.top_outflow_factor *= 1.0 - self.p.outflow_reduction * share
        # training places for the paired schools' own teachers
        model.policy.school_training_places[schools] += float(self.p.training_places_per_school)
        places = self.per_county(model, schools, float(self.p.training_places_per_school))
        state.add("new_training_places", places)
        state.mark(schools)
        self.spend(
            model, places * self.p.place_cost_yuan + self.per_county(model, schools, self.p.support_fee_yuan)
        )


@register_stock(("n_supported_high_schools", "n_featured_high_schools"))
def featured_stocks(model: QingyuanModel, year: int) -> dict[str, np.ndarray]:
    """Schools ever supported, and those that became featured (rule in the module docstring)."""
    s, state = model.schools, model.lever_state
    nc = len(model.counties)
    since = state.supported_since[: len(s)]
    supported = s.is_open & (since >= 0)
    years = np.where(supported, year - since + 1, 0)
    featured = supported & (years >= FEATURED_MIN_YEARS) & (s.quality >= FEATURED_QUALITY)
    return {
        "n_supported_high_schools": np.bincount(s.county[supported], minlength=nc).astype(float),
        "n_featured_high_schools": np.bincount(s.county[featured], minlength=nc).astype(float),
    }
