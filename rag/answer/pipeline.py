"""Pipeline: question (+ history) → retrieval → prompt → streamed generation → checked Answer.

`stream()` yields events so every front end (CLI, UI, eval) shares one code path:
status → standalone → passages → token… → answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from rag.answer import explaining, followups, prompting
from rag.answer.parts import compare, subqueries
from rag.answer.federation import Federated
from rag.answer.retrieval import Retriever
from rag.answer.turns import Answer, Event, clean_question
from rag.grounding import checks as registry, citing, horizons, premise, restating, scope
from rag.grounding.meaning import Meaning
from rag.grounding.passages import NOT_A_QUESTION, REFUSAL, REFUSAL_TRADITIONAL
from rag.zh.script import is_traditional

class Pipeline:
    def __init__(self, settings, retriever: Retriever, generator):
        self.settings, self.retriever, self.generator = settings, retriever, generator
        self.checks = registry.active(settings.checks_off)

    @classmethod
    def from_settings(cls, settings, *, embedder=None, generator=None) -> "Pipeline":
        from rag.index import collections, store
        from rag.index.embedding import configured_id, load_embedder
        from rag.answer.generation import load_generator

        # several collections ("a,b"): each its own index, searched side by side
        chosen = collections.several(settings) or {"": settings}
        data = {name: store.load(s.index_dir, embedder.id if embedder else configured_id(settings))
                for name, s in chosen.items()}
        embedder = embedder or load_embedder(settings)
        members = {name: Retriever.configured(d, embedder, settings) for name, d in data.items()}
        retriever = members[""] if "" in members else Federated(members, rrf_k=settings.rrf_k)
        return cls(settings, retriever, generator or load_generator(settings))

    def standalone(self, question: str, history: list, usage: dict) -> str:
        if not prompting.needs_rewrite(question, history):
            return followups.resolve(question, history) if history else question
        rewrite = prompting.rewrite_messages(question, history)
        text = "".join(self.generator.stream(rewrite, max_tokens=60)).strip()
        _count(usage, self.generator)
        text = text.splitlines()[0].strip() if text else ""
        if not 4 <= len(text) <= 200:
            return followups.resolve(followups.from_context(question, history[-1][0]), history)
        return followups.resolve(followups.guard(text, question, history), history)

    def stream(self, question: str, history: list | None = None, *, k: int | None = None) -> Iterator[Event]:
        s, started = self.settings, time.perf_counter()
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "model_calls": 0}  # every model call's, summed
        question, notes = clean_question(question, s.max_question_chars)
        asked, removed = prompting.strip_instructions(question)
        if removed:
            notes.append("已忽略问题中的指令性文字 / ignored instructions in the question: " + " ".join(removed)[:120])
        directive, asked = prompting.split_directive(asked)
        history = [tuple(h) for h in (history or []) if h and h[0] and h[1]]
        traditional = is_traditional(question) or "繁体" in directive
        yield Event("status", "检索中…")
        if not asked:
            yield from self._refuse(question, question, [], traditional, notes, 0.0, started, "instruction",
                                    usage, NOT_A_QUESTION)
            return
        standalone = self.standalone(asked, history, usage)
        claim = premise.find(standalone)
        standalone = claim.question if claim else standalone
        yield Event("standalone", standalone)
        parts = self.retrieve(standalone, k or s.top_k, traditional)
        passages = [p for _, group in parts for p in group]
        retrieve_ms = (time.perf_counter() - started) * 1000
        yield Event("passages", passages)
        if not passages or max(p.score for p in passages) < s.refuse_below:
            cause = "low_score" if passages else "empty"
            yield from self._refuse(question, standalone, parts, traditional, notes, retrieve_ms, started,
                                    cause, usage)
            return
        yield Event("status", "生成中…")
        # A unit or an "achieved" reading the rewrite brought in ("打算新增几家" → "新增了多少家") is not the user's.
        own = scope.constraints(asked)
        clock = {"first": None, "usage": usage, "directive": directive,
                 "typed": asked if standalone != asked else "",
                 "own_unit": standalone == asked or bool(own.unit),
                 "own_actual": standalone == asked or own.actual}
        answers = []
        for n, (query, group) in enumerate(parts):
            if n:
                yield Event("token", "\n")
            answers.append((yield from self._answer_part(query, group, traditional, clock)))
        checked = citing.combine(answers)
        comparison = "" if any(a.refused for a in answers) else compare(
            standalone, [q for q, _ in parts], [a.text for a in answers])
        if comparison:
            checked.text += "\n" + comparison
            yield Event("token", "\n" + comparison)
        verdict = premise.verdict(claim, checked.text, traditional) if claim and not checked.refused else ""
        # searched after the answer: the passages about what is asked seldom state the premise
        if claim and claim.aside:
            passages += self._premise_passages(claim.open, passages, traditional)
        found = premise.contradiction(claim, passages) if claim else None
        found = None if found and found[0] in checked.text else found  # the answer already quotes it
        if found:  # the passage's own words replace the generic verdict, and answer even after a refusal
            window, p = found
            verdict = premise.correction(claim, window, p.n, traditional)
            checked.refused, checked.cause = False, ""
            if all(c["n"] != p.n for c in checked.citations):
                checked.citations = sorted(checked.citations + [citing.cite(p, [], window)],
                                           key=lambda c: c["n"])
        if verdict:
            checked.text += "\n" + verdict
            yield Event("token", "\n" + verdict)
        cause = checked.cause if checked.refused else None
        retrieval = self.explain(standalone, parts, checked.citations, checked.refused, cause,
                                 checked.missing)
        first = clock["first"] or time.perf_counter()
        timings = {"retrieve_ms": round(retrieve_ms, 1), "first_token_ms": round((first - started) * 1000, 1),
                   "total_ms": round((time.perf_counter() - started) * 1000, 1), **clock["usage"]}
        yield Event("answer", Answer(question=question, standalone_question=standalone, text=checked.text,
                                     citations=checked.citations, refused=checked.refused,
                                     passages=[p.to_dict() for p in passages], timings=timings,
                                     warnings=notes + checked.warnings, retrieval=retrieval,
                                     checks=checked.fired))

    def _answer_part(self, query: str, group: list, traditional: bool, clock: dict):
        """One part's answer from the passages that are about what it asks (place, period, edition…).

        When none is, the part is refused without asking the model, and the refusal says what is missing.
        """
        wanted = scope.constraints(query)
        wanted.unit = wanted.unit if clock["own_unit"] else ""
        wanted.actual = wanted.actual and clock["own_actual"]
        wanted.meaning = Meaning(self.retriever.embedder, query, self.settings.metric_below,
                                 self.retriever.vector(query))
        found = [registry.gaps(self.checks, "passage", wanted, registry.Backing(p)) for p in group]
        usable = horizons.prefer(query, [p for p, gaps in zip(group, found) if not gaps])
        # a rewritten follow-up may word the metric otherwise than the user did: both wordings count
        usable = prompting.on_topic(query, usable, also=clock["typed"])
        if not usable:
            missing = registry.telling(found)
            text = scope.describe(missing, traditional)
            yield Event("token", text)
            return citing.Checked(text=text, refused=True, cause="scope", missing=missing,
                                  fired=[{"check": n, "stage": "passage", "withheld": ""}
                                         for n in registry.decisive(found)])
        if self.settings.nearest_clause and self.settings.passage_chars:
            prompting.with_nearest(usable, query, wanted.meaning, self.settings.passage_chars, traditional)
        text, shown = yield from self._generate(clock["directive"] + query, usable, traditional, clock)
        checked = citing.check(text, usable, query, wanted, traditional, prompting.SYSTEM_PROMPT,
                               self.checks)
        by_model = checked.refused and checked.cause == "model"
        look = self._second_look(query, usable, wanted, traditional) if by_model else None
        if look:
            text, again = yield from self._generate(clock["directive"] + query, look, traditional, clock,
                                                    "\n" if shown else "")
            checked = citing.check(text, look, query, wanted, traditional, prompting.SYSTEM_PROMPT,
                                   self.checks)
            shown = shown or again
        named = {} if checked.refused else registry.gaps(self.checks, "answer", wanted,
                                                           registry.Backing(None, answer=checked.text))
        if named:  # e.g. asked the names of counted things; the answer names none of them
            missing = next(iter(named.values()))
            fired = [{"check": n, "stage": "answer", "withheld": checked.text} for n in named]
            checked = citing.Checked(text=scope.describe(missing, traditional), refused=True,
                                     cause="withheld", missing=missing, fired=fired)
        if checked.refused and checked.cause == "model" and not shown:
            yield Event("token", checked.text)
        rest = restating.added(checked, query, traditional)
        if rest:
            checked.text += "\n" + rest
            yield Event("token", "\n" + rest)
        return checked

    def _second_look(self, query: str, usable: list, wanted, traditional: bool) -> list | None:
        """What the model sees after it refused: the passage holding most of the question's words, whole;
        else the passage nearest by meaning, cut to its sentences nearest the question (a question in a
        user's own words is refused again when the answer's sentence sits among others); else nothing."""
        s = self.settings
        by_words = prompting.closest(query, usable, s.second_look)
        if by_words or not (s.second_look_by_meaning and usable):
            return [prompting.whole(by_words, traditional)] if by_words else None
        nearest = max(usable, key=lambda p: p.score)
        return [prompting.nearest_sentences(nearest, wanted.meaning, traditional)]

    def _generate(self, query: str, passages: list, traditional: bool, clock: dict, lead: str = ""):
        """(answer, whether any of it was shown): streamed, but a refusal is held back, as a second look
        may still answer."""
        pieces, held = [], True
        prompt = prompting.messages(query, passages, traditional)
        for piece in self.generator.stream(prompt, max_tokens=self.settings.max_answer_tokens):
            clock["first"] = clock["first"] or time.perf_counter()
            pieces.append(piece)
            text = "".join(pieces)
            if held and not (REFUSAL.startswith(text) or REFUSAL_TRADITIONAL.startswith(text)
                             or citing.is_refusal(text)):
                held, piece = False, lead + text
            if not held:
                yield Event("token", piece)
        _count(clock["usage"], self.generator)
        return "".join(pieces), not held

    def retrieve(self, standalone: str, k: int, traditional: bool) -> list[tuple[str, list]]:
        """(query, passages) per part of the question, passages numbered across all parts.

        A question that asks about two years or two places is answered part by part, each from
        its own passages: the small model mixes up years when one prompt holds both.
        """
        queries = subqueries(standalone)
        per = k if len(queries) == 1 else max(2, k // len(queries))
        parts, offset, seen = [], 0, set()
        for query in queries:
            hits = [h for h in self.retriever.search(query, per + len(seen)) if h.chunk.id not in seen][:per]
            seen.update(h.chunk.id for h in hits)
            passages = prompting.make_passages(hits, query, self.settings.passage_chars, traditional,
                                               start=offset + 1)
            parts.append((query, passages))
            offset += len(hits)
        return parts

    def _premise_passages(self, query: str, shown: list, traditional: bool, most: int = 2) -> list:
        """The best passages for the premise's own open question that are not shown yet, numbered after
        them."""
        seen = {p.chunk_id for p in shown}
        hits = [h for h in self.retriever.search(query, most + len(seen)) if h.chunk.id not in seen][:most]
        return prompting.make_passages(hits, query, self.settings.passage_chars, traditional,
                                       start=len(shown) + 1)

    def unseen(self, parts: list[tuple[str, list]]) -> list[dict]:
        """The best few passages the model did not see, for the retrieval details.

        Searched again after the answer, so the extra query embedding never delays the first token.
        """
        shown = {p.chunk_id for _, group in parts for p in group}
        found: dict[str, dict] = {}
        for query, _ in parts:
            for hit in self.retriever.search(query, len(shown) + explaining.UNSEEN):
                if hit.chunk.id not in shown and hit.chunk.id not in found:
                    excerpt = prompting.trim(hit.chunk.text, query, max(self.settings.passage_chars, 160))
                    found[hit.chunk.id] = explaining.hit_item(hit, excerpt)
        return list(found.values())[:explaining.UNSEEN]

    def explain(self, standalone, parts, citations=(), refused=False, cause=None, missing="") -> dict:
        seen = [explaining.passage_item(p) for _, group in parts for p in group]
        return explaining.explain(standalone, seen, self.unseen(parts) if parts else [], list(citations),
                                  refused=refused, cause=cause, threshold=self.settings.refuse_below,
                                  known_places=self.retriever.place_names,
                                  missing=missing)

    def _refuse(self, question, standalone, parts, traditional, notes, retrieve_ms, started, cause,
                usage: dict, text=None) -> Iterator[Event]:
        text = text or (REFUSAL_TRADITIONAL if traditional else REFUSAL)
        yield Event("token", text)
        retrieval = self.explain(standalone, parts, refused=True, cause=cause)
        passages = [p for _, group in parts for p in group]
        total = round((time.perf_counter() - started) * 1000, 1)
        timings = {"retrieve_ms": round(retrieve_ms, 1), "first_token_ms": total, "total_ms": total,
                   **usage}
        yield Event("answer", Answer(question=question, standalone_question=standalone, text=text,
                                     refused=True, passages=[p.to_dict() for p in passages],
                                     warnings=notes, retrieval=retrieval, timings=timings))

    def answer(self, question: str, history: list | None = None, *, k: int | None = None) -> Answer:
        for event in self.stream(question, history, k=k):
            if event.kind == "answer":
                return event.data
        raise RuntimeError("pipeline ended without an answer")


def _count(usage: dict, generator) -> None:
    """Add the generator's last call to `usage`: its tokens, and one model call."""
    last = getattr(generator, "last_usage", {}) or {}
    for key in ("prompt_tokens", "completion_tokens"):
        usage[key] = usage.get(key, 0) + last.get(key, 0)
    usage["model_calls"] = usage.get("model_calls", 0) + 1
