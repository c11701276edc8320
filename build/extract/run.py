"""Stage 2b in one call: parsed documents in, :class:`~policykg.build.model.Extraction` out.

The order follows what each step needs: the curated vocabularies first, then
the links read sentence by sentence (populations, bodies, named programmes and
laws), then the indicators (tables and item text), the 2022 observations that
are measured against them, and last the continuity of later tasks, which is
scored over everything before it.
"""

from __future__ import annotations

from policykg.build.extract.bodies import link_bodies
from policykg.build.extract.continuity import continuations
from policykg.build.extract.indicators import extract_indicators
from policykg.build.extract.observations import PopulationIndex, extract_observations
from policykg.build.extract.populations import item_salience, link_populations
from policykg.build.extract.programmes import extract_programmes
from policykg.build.extract.units import REPORT, later_units, plan_units
from policykg.build.extract.vocabulary import load_vocabulary
from policykg.build.model import Extraction, LaterDocument, Plan
from policykg.build.sources import SourceText


def extract(corpus: dict[str, SourceText], plan: Plan, later: list[LaterDocument]) -> Extraction:
    """Everything the extract stage reads from the parsed corpus."""
    vocabulary = load_vocabulary()
    lexicon = vocabulary.lexicon
    plan_text = plan_units(plan, corpus)
    later_text = later_units(later)
    units = plan_text + later_text
    population_links = link_populations(units, lexicon, corpus)
    body_links = link_bodies(units, lexicon, corpus, vocabulary.bodies)
    programmes, programme_links, unclassified = extract_programmes(units, corpus)
    indicators = extract_indicators(plan, plan_text, corpus)
    report = [unit for unit in later_text if unit.kind == REPORT]
    observations = extract_observations(report, corpus, indicators, plan_text,
                                        PopulationIndex(lexicon, vocabulary.populations))
    return Extraction(
        populations=vocabulary.populations,
        bodies=vocabulary.bodies,
        programmes=programmes,
        population_links=population_links,
        salience=item_salience(population_links, plan_text),
        body_links=body_links,
        programme_links=programme_links,
        unclassified=unclassified,
        indicators=indicators,
        observations=observations,
        continuations=continuations(units, population_links, programme_links, body_links),
    )
