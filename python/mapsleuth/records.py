"""Attribute access over mapsleuth's report models.

Every result is a Record over the JSON the CLI prints (the same keys, the
same values): ``report.fault.kind``, ``report.map.type``,
``report.racers[0].goroutine``; ``record["key"]`` works too. Nested
objects are Records and lists are lists, except Go values (a key's
``value``), which stay plain Python values: ints (exact), floats,
strings, bools, None, lists, and dicts for structs.
"""

# Fields holding a decoded Go value: given back as plain Python data.
_PLAIN_FIELDS = frozenset({"value"})


def _wrap(value, field, name):
    if field in _PLAIN_FIELDS:
        return value
    if isinstance(value, dict):
        return Record(value, name)
    if isinstance(value, list):
        return [_wrap(v, None, name) for v in value]
    return value


def _short(value, width=40):
    if isinstance(value, dict):
        text = "{...}" if value else "{}"
    elif isinstance(value, list):
        text = "[%d items]" % len(value) if value else "[]"
    else:
        text = repr(value)
    if len(text) > width:
        text = text[:width - 3] + "..."
    return text


class Record:
    """A JSON object with attribute access. ``to_dict()`` gives the data."""

    __slots__ = ("_data", "_name")
    # Extra attribute names: alias -> key.
    _aliases = {}

    def __init__(self, data, name="Record"):
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_name", name)

    def __getattr__(self, field):
        data = object.__getattribute__(self, "_data")
        key = type(self)._aliases.get(field, field)
        try:
            value = data[key]
        except KeyError:
            raise AttributeError("%s has no field %r (fields: %s)" % (
                self._name, field, ", ".join(sorted(data)))) from None
        return _wrap(value, key, field)

    def __setattr__(self, field, value):
        raise AttributeError("mapsleuth records are read-only")

    def __getitem__(self, key):
        return _wrap(self._data[type(self)._aliases.get(key, key)], key, key)

    def __contains__(self, key):
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __dir__(self):
        return sorted(set(self._data) | set(type(self)._aliases)
                      | set(object.__dir__(self)))

    def __eq__(self, other):
        if isinstance(other, Record):
            return self._data == other._data
        if isinstance(other, dict):
            return self._data == other
        return NotImplemented

    __hash__ = None

    def keys(self):
        return self._data.keys()

    def get(self, key, default=None):
        if key in self._data:
            return self[key]
        return default

    def to_dict(self):
        """The data as plain dicts and lists (a deep copy)."""
        return _copy(self._data)

    def __repr__(self):
        parts = ["%s=%s" % (k, _short(v)) for k, v in self._data.items()]
        text = ", ".join(parts)
        if len(text) > 300:
            text = text[:297] + "..."
        return "%s(%s)" % (self._name, text)


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class Goroutine(Record):
    """One goroutine of ``Session.goroutines()``; ``id`` is ``goroutine``."""

    __slots__ = ()
    _aliases = {"id": "goroutine"}

    def __repr__(self):
        d = self._data
        where = d.get("user_frame") or d.get("start") or {}
        return "<Goroutine %s [%s]%s %s>" % (
            d.get("goroutine"), d.get("status"),
            " thread %s" % d["thread"] if d.get("thread") is not None else "",
            where.get("function", "?"))


class _Model(Record):
    """A Record over one of the library's report models, which also renders
    the text and JSON the CLI prints."""

    __slots__ = ("_model",)

    def __init__(self, model, name):
        Record.__init__(self, model.to_dict(), name)
        object.__setattr__(self, "_model", model)

    def to_json(self):
        """The JSON text the CLI prints (without its final newline)."""
        return self._model.to_json()

    def to_text(self):
        """The text the CLI prints."""
        return self._model.to_text()


class Report(_Model):
    """The analysis of a map fault: schema ``mapsleuth.report/1``."""

    __slots__ = ()

    def __init__(self, model):
        _Model.__init__(self, model, "Report")

    def to_text(self, colour=False):
        """The text ``mapsleuth analyze`` prints (ANSI colours if asked)."""
        return self._model.to_text(colour)

    def __repr__(self):
        d = self._data
        f = d["fault"]
        parts = ["%s: goroutine %s" % (f["kind"], f["goroutine"])]
        m = d.get("map")
        if m:
            parts.append("map %s at %s" % (m.get("type") or "?", m["address"]))
        k = d.get("key")
        if k:
            parts.append("key %s" % (k.get("go") or _short(k.get("value"))))
        parts.append("%d racers" % len(d.get("racers", [])))
        return "<mapsleuth.Report %s>" % "; ".join(parts)


class Info(_Model):
    """What the core and the executable are: schema ``mapsleuth.info/1``."""

    __slots__ = ()

    def __init__(self, model):
        _Model.__init__(self, model, "Info")

    def __repr__(self):
        c, x = self._data["core"], self._data["executable"]
        return "<mapsleuth.Info %s pid %s, %s %s>" % (
            c.get("arch"), c.get("pid"), x.get("path"), x.get("go_version") or "")


class Goroutines(_Model):
    """Goroutines and threads: schema ``mapsleuth.goroutines/1``."""

    __slots__ = ()

    def __init__(self, model):
        _Model.__init__(self, model, "Goroutines")

    def __getattr__(self, field):
        if field == "goroutines":
            return [Goroutine(g, "Goroutine") for g in self._data["goroutines"]]
        return _Model.__getattr__(self, field)

    def stacks_text(self):
        """Every goroutine's frames, as ``mapsleuth stack`` prints them."""
        return self._model.stacks_text()

    def __repr__(self):
        return "<mapsleuth.Goroutines %d goroutines, %d threads>" % (
            len(self._data["goroutines"]), len(self._data["threads"]))


class Stack(_Model):
    """One stack: ``frames`` (innermost first), ``end``, ``complete``."""

    __slots__ = ()

    def __init__(self, model):
        _Model.__init__(self, model, "Stack")

    def to_text(self, indent="  "):
        return self._model.to_text(indent)

    def __repr__(self):
        frames = [f for f in self._data["frames"]]
        top = frames[0]["function"] if frames else "?"
        return "<mapsleuth.Stack %d frames from %s; %s>" % (
            len(frames), top, self._data["end"])
