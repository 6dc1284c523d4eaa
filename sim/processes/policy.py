"""The knobs levers turn, reset to the status quo at the start of every year.

Levers act once a year at the policy phase. Rather than mutating the config, each
active lever sets values here for its counties; a lever that has ended simply stops
setting them and the status quo returns the next year. Workforce, enrolment and school
dynamics read these arrays (one value per county, or per school for ``quality_boost``).
Stocks that persist (beds, facilities, schools, groups) are changed on the world itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config import Config


@dataclass
class PolicyState:
    """Per-county policy values for the current year (status quo = from the config)."""

    n_counties: int
    n_schools: int
    config: Config
    pay_topup_yuan: np.ndarray = field(init=False)  # yuan a year on top of public compulsory teachers' pay
    hiring_budget_share: np.ndarray = field(init=False)
    rotation_rate: np.ndarray = field(init=False)
    rotation_backbone_share: np.ndarray = field(init=False)
    training_places: np.ndarray = field(init=False)  # per teacher per year
    directed_places: np.ndarray = field(init=False)  # 定向 rural hires per year
    zoujiao: np.ndarray = field(init=False)  # bool: PE/art teachers shared in townships (走教)
    top_outflow_factor: np.ndarray = field(init=False)  # × enrolment.top_outflow
    dropout_factor: np.ndarray = field(init=False)  # × dropout probabilities
    continuation_factor: np.ndarray = field(init=False)  # × senior continuation
    left_behind_gap_factor: np.ndarray = field(init=False)  # × the left-behind achievement gap
    choice_factor: np.ndarray = field(init=False)  # × quality-seeking share (education ecology)
    quality_boost: np.ndarray = field(init=False)  # per school, SD added to the quality target
    school_training_places: np.ndarray = field(init=False)  # per school, places levers fund there
    school_directed_places: np.ndarray = field(init=False)  # per school, directed hires levers send
    # road km beyond which a pupil may board (a boarding lever may change the rule per county);
    # long commutes are still measured against the config's enrolment.boarding_distance_km
    boarding_distance_km: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.reset(self.n_schools)

    def reset(self, n_schools: int) -> None:
        """Back to the status quo for a new year (``n_schools`` may have grown)."""
        wp, nc = self.config.workforce, self.n_counties
        self.n_schools = n_schools
        self.pay_topup_yuan = np.zeros(nc)
        self.hiring_budget_share = np.full(nc, wp.hiring_budget_share)
        self.rotation_rate = np.full(nc, wp.rotation_rate)
        self.rotation_backbone_share = np.full(nc, wp.rotation_backbone_share)
        self.training_places = np.full(nc, wp.training_places)
        self.directed_places = np.full(nc, float(wp.directed_places))
        self.zoujiao = np.full(nc, wp.zoujiao, dtype=bool)
        self.top_outflow_factor = np.ones(nc)
        self.dropout_factor = np.ones(nc)
        self.continuation_factor = np.ones(nc)
        self.left_behind_gap_factor = np.ones(nc)
        self.choice_factor = np.ones(nc)
        self.quality_boost = np.zeros(n_schools)
        self.school_training_places = np.zeros(n_schools)
        self.school_directed_places = np.zeros(n_schools)
        self.boarding_distance_km = np.full(nc, self.config.enrolment.boarding_distance_km)
