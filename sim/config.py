"""The one typed configuration of a run, with every default documented beside it.

A scenario file (TOML) holds only what differs from these defaults. Unknown keys are
errors, so a typo never silently runs the default. Each default names its source or is
marked as an assumption (``L``: an inference to calibrate; ``M``: one secondary source;
``H``: official). The county facts themselves live in ``sim/data/`` with their sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from sim.core.errors import InputError
from sim.core.inputs import Strict, deep_merge, describe_validation_error, read_toml, set_dotted
from sim.core.names import CITY, COUNTIES

__all__ = ["CITY", "COUNTIES", "Config", "describe_validation_error", "read_toml", "set_dotted"]



MAX_BASE_DEPTH = 20  # configs chained by base = "..."


class DemographyParams(Strict):
    """Births, mortality and household migration (DESIGN §3 step 2)."""

    births_scale: float = Field(
        0.9,
        ge=0.5,
        le=1.5,
        description="Multiplier on births from 2019 on, which are not published for the city "
        "(prior 3.8万–4.9万 a year in 2022–23, qingyuan.md, L). 1.0 = Guangdong's curve "
        "anchored on the city's 2018 births; 0.9 because Guangdong grew while Qingyuan was "
        "flat (sim/data/README.md).",
    )
    births_trend: float = Field(
        -0.025,
        ge=-0.3,
        le=0.3,
        description="Yearly relative change of births after the last data year (2025). Default "
        "from the latest evidence: Guangdong fell 1.6% a year 2022→2025 (105.2万→100.3万) and "
        "4.0% a year 2021→2025; China fell 6.3% a year 2023→2025 (902万→792万). Prior -6%..0%.",
    )
    births_rebound_2024: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Share (in logs) of Guangdong's 2024 dragon-year rebound (+9.7%) that "
        "Qingyuan's births shared; 2025 is back on Guangdong's path either way. Default 1 "
        "(Guangdong outside Guangzhou still rose 7.5%); prior 0..1 because 肇庆, a neighbouring "
        "non-core prefecture, fell 16.7% in 2024 (肇庆 statistical bulletins, H).",
    )
    lianzhou_birth_basis: float = Field(
        0.7134,
        ge=0.5,
        le=1.0,
        description="Factor from 连州's registered (户籍) births to resident births. Default: "
        "residents / registered population in 2023 = 377,900 / 529,704 (pro-rata). Prior "
        "0.7134..1.0: registered births include children born to 连州 parents living "
        "elsewhere (lower end) but some may be born locally (upper end).",
    )
    child_mortality: float = Field(
        0.0004,
        ge=0.0,
        le=0.05,
        description="Yearly death probability for ages 0-17. Assumption (L): China's under-5 "
        "mortality is about 6 per 1000 over five years; older children far lower.",
    )
    crude_death_rate: float = Field(
        0.0065,
        ge=0.0,
        le=0.05,
        description="Deaths per person per year for the aggregate population (L: Guangdong "
        "reports about 5-6 per 1000; older northern counties higher).",
    )
    migration: bool = Field(True, description="Switch all household migration on or off.")
    urbanisation_gain: float = Field(
        0.009,
        ge=0.0,
        le=0.05,
        description="Default yearly gain in the urban share where a county has no own "
        "history (L: China +0.94 points 2023→2024). 清城 uses its own +0.57 (2022→2023).",
    )
    town_to_seat_share: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="Share of rural→urban moves of families with children that go straight "
        "to the county seat rather than the township town (L).",
    )
    into_centre: float = Field(
        0.004,
        ge=0.0,
        le=0.2,
        description="Yearly probability that a child's household in another county moves into "
        "清城/清新 (L: 清城's share of the city rose from 21.93% to 28.21% over 2010-2020, H).",
    )
    out_with_children: float = Field(
        0.006,
        ge=0.0,
        le=0.2,
        description="Yearly probability a child's household leaves the city with the child "
        "(to the Pearl River Delta). Calibrated with `inflow_children` to the 2020→2023 "
        "population change (see data/README.md).",
    )
    inflow_children: float = Field(
        0.004,
        ge=0.0,
        le=0.2,
        description="Yearly in-flow of children (returning or arriving families), as a share "
        "of the county's children; arrivals in 清城/清新 are migrant (随迁) children.",
    )
    parents_leave: float = Field(
        0.03,
        ge=0.0,
        le=0.5,
        description="Yearly probability that both parents of a rural child leave for work "
        "without the child (the child becomes left-behind). L, tuned so the rural "
        "left-behind share stays near the national 10.5% (2017, evidence.md).",
    )
    parents_return: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Yearly probability a left-behind child's parents return (L).",
    )


class EnrolmentParams(Strict):
    """Entry, progression, choice, boarding, 中考 and dropout (DESIGN §3 step 4)."""

    quality_seeking: float = Field(
        0.06,
        ge=0.0,
        le=1.0,
        description="Share of entrants at a transition whose family tries the county's best "
        "school instead of the nearest one; admitted only while seats are free (L).",
    )
    public_kindergarten_preference: float = Field(
        0.7, ge=0.0, le=1.0,
        description="Share of families who take a free seat at their nearest public kindergarten "
        "over a nearer private one (L: public kindergartens charge far less).",
    )
    boarding_distance_km: float = Field(
        8.0,
        gt=0.0,
        le=100.0,
        description="Road distance beyond which a pupil boards if a bed is free (L: the "
        "national rule is at most 30 minutes of travel, 国办发〔2018〕27号).",
    )
    boarding_min_grade: int = Field(
        4,
        ge=1,
        le=12,
        description="Lowest grade that boards: grades 1-3 in principle do not (国办发〔2018〕27号, H).",
    )
    senior_continuation: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Share of a junior cohort entering senior school in the city. None = "
        "calibrated at set-up so 2022 senior enrolment matches the published total.",
    )
    general_share: float = Field(
        0.675,
        ge=0.0,
        le=1.0,
        description="Share of senior entrants in general (not vocational) schools: "
        "76,891 / (76,891 + 36,965) in 2022 (清远市教育局, H).",
    )
    top_outflow: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of a county's top-decile 中考 students who leave its county high "
        "school for a city school (evidence.md: 70-85 of a county's top 100 leave, M; "
        "lower here because the city's own schools are in 清城).",
    )
    junior_dropout: float = Field(
        0.006,
        ge=0.0,
        le=0.2,
        description="Yearly dropout in junior grades (Guangdong 9-year retention 97.25% in "
        "2023, qingyuan.md, H, spread over the junior years).",
    )
    senior_dropout: float = Field(0.02, ge=0.0, le=0.3, description="Yearly dropout in senior grades (L).")
    left_behind_dropout_extra: float = Field(
        0.007,
        ge=0.0,
        le=0.2,
        description="Extra yearly junior dropout of left-behind pupils (evidence.md: about +2 "
        "points over junior school, M).",
    )
    preschool_attendance_2022: float = Field(
        0.95,
        ge=0.5,
        le=1.0,
        description="Share of children aged 3-5 present in 2022 who attend kindergarten; with the "
        "published 2022 kindergarten total it sets how many young children are present. L: "
        "between China's 2022 gross enrolment (89.7%) and Guangdong's (104.5%), below 1 because "
        "the model enrols no children outside ages 3-5. Prior 0.9..1.0.",
    )
    free_final_year_from: int | None = Field(
        2025,
        ge=2023,
        le=2100,
        description="First autumn of free final-year preschool (国办发〔2025〕27号: from autumn "
        "2025 the 大班 year's 保育教育费 is waived in public kindergartens and reduced by the "
        "same amount in approved private ones; Guangdong applies it from autumn 2025, H). "
        "None = no waiver.",
    )
    free_final_year_uptake: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of 5-year-olds not yet attending who join kindergarten for the free "
        "final year (L: no published estimate; the fee is the main cost for the families "
        "still outside, so half is the central guess; vary 0..1).",
    )
    preschool_enrolment: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Yearly probability that a child aged 3-5 attends kindergarten, overriding "
        "`preschool_attendance_2022` after set-up. None = use that prior (the young-age "
        "presence curve is fitted so the 2022 kindergarten total is met with it).",
    )


class WorkforceParams(Strict):
    """Teacher retirement, attrition, recruitment, rotation and training (DESIGN §3 step 3).

    Lever hooks: ``salary_parity``, ``rotation_rate``, ``training_places``,
    ``directed_places`` and ``hiring_budget_share`` can be changed from a year on by levers.
    """

    retirement_reform: bool = Field(
        True, description="Apply the 2024 NPC retirement-age reform from 2025 (H)."
    )
    attrition_rural: float = Field(
        0.045,
        ge=0.0,
        le=0.5,
        description="Yearly attrition of village and town teachers (L: about 40% over 11 "
        "years, evidence.md).",
    )
    attrition_urban: float = Field(
        0.015, ge=0.0, le=0.5, description="Yearly attrition of county-seat teachers (L)."
    )
    salary_parity: float = Field(
        0.9,
        ge=0.0,
        le=1.5,
        description="Teacher pay relative to local civil servants (L: 两个不低于或高于 aims at "
        ">= 1). Attrition scales with the gap.",
    )
    pay_elasticity: float = Field(
        1.5,
        ge=0.0,
        le=10.0,
        description="Relative fall of rural attrition per unit rise of salary parity (L).",
    )
    hiring_budget_share: float = Field(
        0.06,
        ge=0.0,
        le=1.0,
        description="Most hires a county can fund in a year, as a share of its teachers (L).",
    )
    rotation_rate: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Share of eligible teachers rotating each year (national quota >= 10%, "
        "H; status quo assumed half of that).",
    )
    rotation_backbone_share: float = Field(
        0.2, ge=0.0, le=1.0, description="Share of backbone teachers among rotating ones (H)."
    )
    rotation_eligible_years: int = Field(
        6, ge=1, le=40, description="Years at one school before rotation eligibility (L)."
    )
    rotation_length: int = Field(3, ge=1, le=10, description="Years a rotation lasts (H: 2-3).")
    training_places: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="Training places per teacher per year; each place raises the chance of "
        "a backbone promotion or degree upgrade (L).",
    )
    directed_places: int = Field(
        0,
        ge=0,
        le=10000,
        description="Directed (定向) rural hires per county per year: graduates trained for "
        "rural schools who arrive outside the hiring budget into rural vacancies (status quo "
        "0: Qingyuan's share of the provincial programme not found, L).",
    )
    directed_service_years: int = Field(
        6,
        ge=0,
        le=20,
        description="Years a directed hire must serve at a rural school (M: 6 years for "
        "publicly funded normal students, 国办发〔2018〕75号).",
    )
    directed_benke_share: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of directed hires with a 本科 degree (L)."
    )
    directed_attrition_factor: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Attrition and transfer of directed hires during their service, relative "
        "to other rural teachers (L; 特岗 retention after service 94.2%, evidence.md).",
    )
    remoteness_elasticity: float = Field(
        0.3,
        ge=0.0,
        le=5.0,
        description="Elasticity of rural attrition and transfer to the school's road distance "
        "from the county seat, relative to the mean (L).",
    )
    transfer_rural: float = Field(
        0.03,
        ge=0.0,
        le=0.5,
        description="Yearly share of rural teachers seeking a transfer to a town or county-seat "
        "school; only vacancies there let them go (L: about half of teachers first posted "
        "rural later moved, evidence.md).",
    )
    rotation_exempt_years: int = Field(
        5,
        ge=0,
        le=20,
        description="Teachers this close to retirement are not asked to rotate (L: common "
        "local rule).",
    )
    backbone_promotion: float = Field(
        0.04,
        ge=0.0,
        le=1.0,
        description="Yearly chance of rising one backbone level (none → school → county → "
        "city), for teachers aged 28+ (L: keeps the 2022 share roughly stable).",
    )
    training_backbone_effect: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="Added chance of rising one backbone level in a year with a training "
        "place (L; the national 国培 RCT found no effect on teaching, evidence.md, so this "
        "is credentialing, not quality).",
    )
    degree_upgrade: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="Yearly chance that a teacher under 50 without 本科 upgrades one degree "
        "level through in-service study (L).",
    )
    training_degree_effect: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="Added chance of a degree upgrade in a year with a training place (L).",
    )
    zoujiao: bool = Field(
        False,
        description="Share PE and art teachers across the non-urban compulsory schools of "
        "each township (走教) — the status quo; a lever can switch it on per county.",
    )
    zoujiao_share: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Most of a PE or art teacher's time spent at other schools under 走教 (L).",
    )


class SchoolParams(Strict):
    """School dynamics (DESIGN §3 step 5) and the uncertain 2022 stocks of the standard's indicators."""

    stock_backbone_scale: float = Field(
        1.0,
        ge=0.3,
        le=2.0,
        description="Multiplier on the 2022 shares of county-level+ backbone teachers "
        "(sim/world/teachers.py, set from 鸠江区's 2023 published values; no Qingyuan figure). "
        "Prior 0.6..1.2 (L): the most uncertain teacher stock.",
    )
    stock_facility_shift: float = Field(
        0.0,
        ge=-0.5,
        le=0.5,
        description="Shift (in logs) of the four 2022 facility stocks per pupil (space, sports "
        "area, equipment, multimedia; sim/world/build.py). Prior -0.2..+0.2 (L): ±20% around "
        "the comparator-based levels.",
    )

    quality_adjustment: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Share of the gap to its target quality a school closes each year (L).",
    )
    achievement_persistence: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="AR(1) persistence of a pupil's latent achievement (L).",
    )


class Config(Strict):
    """A resolved scenario: every default filled in, every value checked."""

    name: str = "baseline"
    description: str = ""
    start_year: int = Field(
        2022,
        ge=2022,
        le=2022,
        description="Initial state: autumn 2022, the last school year with published city "
        "totals (清远市教育局).",
    )
    until: int = Field(2027, ge=2023, le=2050, description="Last simulated school year.")
    seed: int = Field(20230, ge=0, le=2**63 - 1)
    counties: list[str] = Field(default_factory=lambda: list(COUNTIES))
    demography: DemographyParams = Field(default_factory=DemographyParams)
    enrolment: EnrolmentParams = Field(default_factory=EnrolmentParams)
    workforce: WorkforceParams = Field(default_factory=WorkforceParams)
    schools: SchoolParams = Field(default_factory=SchoolParams)
    levers: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("counties")
    @classmethod
    def _known_counties(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in COUNTIES]
        if unknown:
            raise ValueError(f"unknown county {unknown[0]!r}; allowed: {', '.join(COUNTIES)}")
        if not value:
            raise ValueError(f"at least one county is needed; allowed: {', '.join(COUNTIES)}")
        if len(set(value)) != len(value):
            raise ValueError("a county is listed twice")
        # keep the canonical order so results do not depend on how the list was written
        return [c for c in COUNTIES if c in value]

    def with_overrides(self, overrides: dict[str, Any], source: str = "overrides") -> Config:
        """A new config with dotted-key overrides, e.g. ``{"demography.births_trend": -0.05}``."""
        data = self.model_dump()
        for dotted, value in overrides.items():
            set_dotted(data, dotted, value, source)
        return validate_params(data, source)


def validate_params(data: dict[str, Any], source: str) -> Config:
    """Validate a dict into a ``Config``, raising ``InputError`` on the first problem.

    Lever tables are checked by their own registry one layer up
    (``sim.scenario.validate_config``); this checks every typed parameter.
    """
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(exc, Config, source) from None
    if config.until < config.start_year + 1:
        raise InputError(f"must be after start_year {config.start_year}", source=source, key="until")
    return config


def read_config_data(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario TOML with its ``base =`` chain resolved, as a plain dict (not yet validated).

    A config may name another with ``base = "other.toml"`` (relative to itself); its
    values apply first. ``[[levers]]`` lists are concatenated, base first. A chain that
    comes back to a file it has read is an error naming the loop.
    """
    path = Path(path)
    data = read_toml(path)
    base = data.pop("base", None)
    if base is not None:
        if not isinstance(base, str):
            raise InputError(f"must be a path string (got {base!r})", source=path, key="base")
        parent_path = (path.parent / base).resolve()
        chain = (*_chain, path.resolve())
        if parent_path in chain:
            loop = " -> ".join(p.name for p in (*chain, parent_path))
            raise InputError(f"circular base: {loop}", source=path, key="base")
        if len(chain) > MAX_BASE_DEPTH:
            raise InputError(f"more than {MAX_BASE_DEPTH} configs chained by base", source=path, key="base")
        if not parent_path.is_file():
            raise InputError(f"file {base!r} not found (looked for {parent_path})", source=path, key="base")
        parent_data = read_config_data(parent_path, chain)
        parent = validate_params(parent_data, str(parent_path)).model_dump()
        levers = parent.pop("levers", []) + data.pop("levers", [])
        parent.update(deep_merge(parent, data))
        parent["levers"] = levers
        data = parent
    return data
