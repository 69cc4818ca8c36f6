"""What an import did, per kind: imported / updated / unchanged, skipped rows and notes with reasons."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

EXAMPLES = 10


@dataclass
class KindReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    # reason -> the first legacy ids it applies to
    examples: dict = field(default_factory=lambda: defaultdict(list))

    @property
    def skipped_total(self):
        return sum(self.skipped.values())


class Report:
    def __init__(self):
        self.kinds = {}
        self.messages = []

    def kind(self, name):
        return self.kinds.setdefault(name, KindReport())

    def add(self, kind, what, count=1):
        entry = self.kind(kind)
        setattr(entry, what, getattr(entry, what) + count)

    def skip(self, kind, reason, legacy_id=None):
        entry = self.kind(kind)
        entry.skipped[reason] += 1
        self._example(entry, reason, legacy_id)

    def note(self, kind, reason, legacy_id=None):
        entry = self.kind(kind)
        entry.notes[reason] += 1
        self._example(entry, reason, legacy_id)

    def message(self, text):
        self.messages.append(text)

    @staticmethod
    def _example(entry, reason, legacy_id):
        if legacy_id is not None and len(entry.examples[reason]) < EXAMPLES:
            entry.examples[reason].append(legacy_id)

    def lines(self):
        """The report as text lines."""
        out = []
        for name, entry in self.kinds.items():
            line = f"{name}s: {entry.imported} imported, {entry.updated} updated, {entry.unchanged} unchanged"
            out.append(line + f", {entry.skipped_total} skipped")
            for title, counter in (("skipped", entry.skipped), ("note", entry.notes)):
                for reason, count in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
                    ids = entry.examples.get(reason)
                    shown = ""
                    if ids:
                        more = ", …" if count > len(ids) else ""
                        shown = f" (legacy ids {', '.join(str(i) for i in ids)}{more})"
                    out.append(f"    {title}: {count} × {reason}{shown}")
        out.extend(self.messages)
        return out

    def as_dict(self):
        return {
            name: {
                "imported": entry.imported,
                "updated": entry.updated,
                "unchanged": entry.unchanged,
                "skipped": dict(entry.skipped),
                "notes": dict(entry.notes),
            }
            for name, entry in self.kinds.items()
        }
