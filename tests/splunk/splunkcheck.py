"""Checks for the ipv6probe Splunk app that need no Splunk.

Shared by the tests in this directory:
  * a .conf reader that behaves like Splunk's (stanzas, continuation lines,
    comments only at line start);
  * a reader for Splunk's .spec files, turning stanza and key patterns such as
    [<spec>], EXTRACT-<class>, action.<action_name>, <tag1> into regexes, with a
    small built-in table used when the spec files are not present;
  * an SPL checker: quotes and brackets, macro expansion with argument counts,
    known commands, and field tracking through the pipeline so that every field
    a search reads is one the forwarder emits (splunk_app/fields.txt) or one that
    props.conf or an earlier command creates.

Locations come from the environment that meson sets (IPV6PROBE_SOURCE_ROOT,
SPLUNK_SPEC_DIR); without it they are derived from this file's path.
"""

import csv
import fnmatch
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("IPV6PROBE_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))
APP_ID = "ipv6probe"
APP_DIR = os.path.join(ROOT, "splunk_app", APP_ID)
FIELDS_FILE = os.path.join(ROOT, "splunk_app", "fields.txt")
YAML_FILE = os.path.join(ROOT, "libipv6probe", "data", "classification.yaml")
TOOLS_DIR = os.path.join(ROOT, "splunk_app", "tools")
SPEC_DIR = os.environ.get("SPLUNK_SPEC_DIR") or os.path.join(
    ROOT, "..", "shared", "reference", "splunk-spec")

SKIP = 77


def spec_dir():
    """The directory of Splunk .spec files, or None when it is not available."""
    d = os.path.normpath(SPEC_DIR)
    return d if os.path.isdir(d) else None


# --------------------------------------------------------------------------
# .conf files

class ConfError(Exception):
    pass


def parse_conf_text(text, name="<conf>"):
    """Parse Splunk .conf text.

    Returns a list of (stanza, entries, lineno); entries is a list of
    (key, value, lineno). Keys before the first stanza go to 'default'.
    Raises ConfError on lines Splunk would not understand, on duplicate
    stanzas and on duplicate keys within a stanza.
    """
    lines = text.split("\n")
    out = []
    current = ["default", [], 0]
    out.append(current)
    seen_stanzas = {}
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i]
        # continuation: a trailing backslash joins the next line (newline kept)
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + "\n" + lines[i]
        i += 1
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("["):
            if not s.endswith("]"):
                raise ConfError(f"{name}:{lineno}: unterminated stanza header")
            stanza = s[1:-1]
            if stanza in seen_stanzas:
                raise ConfError(f"{name}:{lineno}: stanza [{stanza}] repeats line "
                                f"{seen_stanzas[stanza]}")
            seen_stanzas[stanza] = lineno
            current = [stanza, [], lineno]
            out.append(current)
            continue
        if "=" not in s:
            raise ConfError(f"{name}:{lineno}: not 'key = value': {s[:60]!r}")
        key, value = s.split("=", 1)
        key = key.strip()
        if not key:
            raise ConfError(f"{name}:{lineno}: empty key")
        if any(k == key for k, _, _ in current[1]):
            raise ConfError(f"{name}:{lineno}: key {key!r} repeated in [{current[0]}]")
        current[1].append((key, value.strip(), lineno))
    if not out[0][1]:
        out.pop(0)
    return [tuple(x) for x in out]


def read_conf(path):
    with open(path, encoding="utf-8") as f:
        return parse_conf_text(f.read(), os.path.relpath(path, ROOT))


def conf_dict(path):
    """{stanza: {key: value}} for a .conf file."""
    return {st: {k: v for k, v, _ in ents} for st, ents, _ in read_conf(path)}


def app_conf(name):
    path = os.path.join(APP_DIR, "default", name)
    return conf_dict(path) if os.path.exists(path) else {}


# --------------------------------------------------------------------------
# .spec files

SPEC_KEY_RE = re.compile(r"^([A-Za-z_<$][A-Za-z0-9_<>$.:\-\[\]|*]*)\s*=(.*)$")


def _pattern_to_regex(pat, in_key):
    out = []
    i = 0
    while i < len(pat):
        if pat[i] == "<":
            j = pat.find(">", i)
            if j < 0:
                out.append(re.escape(pat[i:]))
                break
            out.append(r"[^\s=]+" if in_key else r".+")
            i = j + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


class Spec:
    """Stanza and key patterns of one .spec file."""

    def __init__(self, name):
        self.name = name
        self.globals = []          # [(key_regex, key_pattern, value_desc)]
        self.stanzas = []          # [(stanza_pattern, stanza_regex, literal, keys)]

    def add_stanza(self, pat):
        literal = "<" not in pat
        keys = []
        self.stanzas.append((pat, _pattern_to_regex(pat, False), literal, keys))
        return keys

    @classmethod
    def from_text(cls, text, name):
        spec = cls(name)
        keys = spec.globals
        for raw in text.split("\n"):
            if not raw or raw[0] in " \t#*":
                continue
            line = raw.rstrip()
            m = re.match(r"^\[(.*)\]$", line)
            if m:
                keys = spec.add_stanza(m.group(1))
                continue
            m = SPEC_KEY_RE.match(line)
            if m:
                kp = m.group(1)
                keys.append((_pattern_to_regex(kp, True), kp, m.group(2).strip()))
        return spec

    def matching_stanzas(self, stanza):
        if stanza == "default":
            return [s for s in self.stanzas]
        lit = [s for s in self.stanzas if s[2] and s[0] == stanza]
        if lit:
            return lit
        return [s for s in self.stanzas if not s[2] and s[1].match(stanza)]

    def key_desc(self, stanza, key):
        """Value description for key in stanza, or None if the key is unknown.

        Raises LookupError when no spec stanza matches the stanza name."""
        matches = self.matching_stanzas(stanza)
        if not matches and self.stanzas:
            raise LookupError(stanza)
        # exact key names win over patterns
        cands = list(self.globals)
        for s in matches:
            cands.extend(s[3])
        for rx, kp, desc in cands:
            if "<" not in kp and kp == key:
                return desc
        for rx, kp, desc in cands:
            if "<" in kp and rx.match(key):
                return desc
        return None


META_OBJECT_TYPES = {
    "views", "savedsearches", "eventtypes", "tags", "props", "transforms",
    "lookups", "macros", "nav", "panels", "datamodels", "fieldaliases",
    "calcfields", "commands", "alert_actions", "workflow_actions", "viewstates",
    "collections", "modalerts", "searchbnf", "html",
}


def _meta_spec(spec):
    """default.meta.spec documents by example; generalise its stanzas."""
    keys = list(spec.globals)
    for s in spec.stanzas:
        keys.extend(s[3])
    spec.globals = []
    spec.stanzas = []
    for pat in ("", "<object_type>", "<object_type>/<object_name>"):
        spec.add_stanza(pat).extend(keys)
    # the empty stanza [] must match literally
    spec.stanzas[0] = ("", re.compile("^$"), True, spec.stanzas[0][3])
    return spec


# Built-in key table: the stanzas and keys this app uses, written in spec form.
# Used when Splunk's spec files are not available; also checked against them.
FALLBACK_SPECS = {
    "app.conf": """
[id]
name = <string>
version = <string>
[launcher]
version = <string>
author = <string>
description = <string>
[package]
id = <string>
check_for_updates = <boolean>
[install]
state = [enabled|disabled]
is_configured = <boolean>
build = <integer>
[ui]
is_visible = <boolean>
label = <string>
""",
    "props.conf": """
[<spec>]
description = <string>
category = <string>
pulldown_type = <boolean>
SHOULD_LINEMERGE = <boolean>
LINE_BREAKER = <regular expression>
TRUNCATE = <non-negative integer>
TIME_PREFIX = <regular expression>
TIME_FORMAT = <strptime-style format>
MAX_TIMESTAMP_LOOKAHEAD = <integer>
KV_MODE = [none|auto|auto_escaped|multi|json|xml]
EVAL-<fieldname> = <eval statement>
FIELDALIAS-<class> = <string>
LOOKUP-<class> = <string>
TRANSFORMS-<class> = <transform_stanza_name>, <transform_stanza_name2>,...
""",
    "transforms.conf": """
[<unique_transform_stanza_name>]
filename = <string>
match_type = <string>
max_matches = <integer>
min_matches = <integer>
REGEX = <regular expression>
FORMAT = <string>
DEST_KEY = <KEY>
""",
    "eventtypes.conf": """
[<$EVENTTYPE>]
search = <string>
description = <string>
priority = <integer, 1 through 10>
color = <string>
disabled = [1|0]
""",
    "tags.conf": """
[<fieldname>=<value>]
<tag1> = <enabled|disabled>
""",
    "macros.conf": """
[<STANZA_NAME>]
args = <string>,<string>,...
definition = <string>
validation = <string>
errormsg = <string>
iseval = true|false
description = <string>
""",
    "savedsearches.conf": """
[<stanza name>]
search = <string>
description = <string>
disabled = [0|1]
enableSched = [0|1]
cron_schedule = <cron string>
schedule_window = <unsigned integer> | auto
dispatch.earliest_time = <time-str>
dispatch.latest_time = <time-str>
counttype = number of events | number of hosts | number of sources | custom | always
relation = greater than | less than | equal to | not equal to | drops by | rises by
quantity = <integer>
alert.severity = <integer>
alert.suppress = <boolean>
alert.suppress.period = <time-specifier>
alert.suppress.fields = <comma-delimited-field-list>
alert.digest_mode = <boolean>
alert.track = <boolean> | auto
action.<action_name> = <boolean>
request.ui_dispatch_app = <string>
request.ui_dispatch_view = <string>
display.general.type = [events|statistics|visualizations]
display.visualizations.charting.chart = <string>
""",
    "default.meta": """
[]
access = <string>
export = <string>
owner = <string>
""",
}


def load_spec(conf_name, use_fallback=False):
    """Spec for a conf file name ('props.conf', 'default.meta')."""
    d = None if use_fallback else spec_dir()
    text = None
    origin = "built-in table"
    if d:
        p = os.path.join(d, conf_name + ".spec")
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                text = f.read()
            origin = p
    if text is None:
        text = FALLBACK_SPECS.get(conf_name)
        if text is None:
            return None
    spec = Spec.from_text(text, origin)
    if conf_name == "default.meta":
        spec = _meta_spec(spec)
    return spec


BOOL_VALUES = {"true", "false", "1", "0", "t", "f", "yes", "no"}


def check_value(desc, value):
    """Check a value against a spec value description where one can be checked.

    Returns an error string or None."""
    d = desc.strip()
    if not d:
        return None
    m = re.match(r"^<integer,\s*(\d+)\s+through\s+(\d+)>$", d)
    if m:
        if not re.match(r"^-?\d+$", value) or not (int(m.group(1)) <= int(value) <= int(m.group(2))):
            return f"expected an integer {m.group(1)}..{m.group(2)}"
        return None
    if d == "<boolean>":
        return None if value.lower() in BOOL_VALUES else "expected a boolean"
    if d in ("<integer>", "<non-negative integer>", "<positive integer>", "<unsigned integer>"):
        if not re.match(r"^-?\d+$", value):
            return "expected an integer"
        if d != "<integer>" and int(value) < (1 if d == "<positive integer>" else 0):
            return "integer out of range"
        return None
    # a single bracketed list of alternatives: [a|b|c] or <a|b>
    if (d[0], d[-1]) in (("[", "]"), ("<", ">")) and "|" in d:
        inner = d[1:-1]
        depth = 0
        for ch in inner:
            depth += ch in "[<"
            depth -= ch in "]>"
            if depth < 0:
                return None          # not one group, e.g. "[a]|[b]"
        alts = [a.strip() for a in inner.split("|")]
        for a in alts:
            if a == "<boolean>" and value.lower() in BOOL_VALUES:
                return None
            if a in ("<integer>", "<non-negative integer>") and re.match(r"^\d+$", value):
                return None
            if "<" in a:
                if _pattern_to_regex(a, False).match(value):
                    return None
            elif a == value:
                return None
        return f"expected one of {', '.join(alts)}"
    return None


def check_conf_against_spec(conf_path, spec):
    """Every stanza and key in conf_path is accepted by spec. Returns errors."""
    errors = []
    rel = os.path.relpath(conf_path, ROOT)
    try:
        stanzas = read_conf(conf_path)
    except ConfError as exc:
        return [str(exc)]
    for stanza, entries, sl in stanzas:
        for key, value, kl in entries:
            try:
                desc = spec.key_desc(stanza, key)
            except LookupError:
                errors.append(f"{rel}:{sl}: stanza [{stanza}] is not one {spec.name} allows")
                break
            if desc is None:
                errors.append(f"{rel}:{kl}: [{stanza}] key {key!r} is not in {spec.name}")
                continue
            err = check_value(desc, value)
            if err:
                errors.append(f"{rel}:{kl}: [{stanza}] {key} = {value!r}: {err} ({desc})")
    return errors


# --------------------------------------------------------------------------
# field schema

DEFAULT_FIELDS = {
    "_time", "_raw", "_indextime", "_cd", "_bkt", "_serial", "_si", "_sourcetype",
    "host", "source", "sourcetype", "index", "splunk_server", "linecount",
    "punct", "eventtype", "tag", "timestartpos", "timeendpos",
    "date_hour", "date_mday", "date_minute", "date_month", "date_second",
    "date_wday", "date_year", "date_zone",
}
# search-time modifiers that look like field=value terms
SEARCH_MODIFIERS = {"earliest", "latest", "index", "sourcetype", "source", "host",
                    "eventtype", "tag", "splunk_server", "savedsearch", "startdaysago",
                    "enddaysago", "starttime", "endtime", "_index_earliest",
                    "_index_latest", "index_earliest", "index_latest"}


def load_fields(path=FIELDS_FILE):
    """{sourcetype: set(fields)} from fields.txt."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            if len(parts) != 2:
                raise ValueError(f"{path}:{n}: expected '<sourcetype> <field>'")
            st, field = parts
            if not re.match(r"^[a-z0-9_]+:[a-z0-9_]+$", st):
                raise ValueError(f"{path}:{n}: bad sourcetype {st!r}")
            # name, name*, nested counters: tagged.*, inputs{}.lines
            if not re.match(r"^[a-z][a-z0-9_]*(\{\})?(\.[a-z0-9_]*)?\*?$", field):
                raise ValueError(f"{path}:{n}: bad field name {field!r}")
            out.setdefault(st, set()).add(field)
    return out


class FieldSet:
    """A set of field names that may include wildcard patterns (tag_*)."""

    def __init__(self, names=(), lenient=False):
        self.names = set()
        self.patterns = set()
        self.lenient = lenient
        for n in names:
            self.add(n)

    def copy(self):
        c = FieldSet(lenient=self.lenient)
        c.names = set(self.names)
        c.patterns = set(self.patterns)
        return c

    def add(self, name):
        if "*" in name:
            self.patterns.add(name)
        else:
            self.names.add(name)

    def update(self, other):
        for n in other:
            self.add(n)

    def union(self, other):
        c = self.copy()
        c.names |= other.names
        c.patterns |= other.patterns
        c.lenient = self.lenient or other.lenient
        return c

    def has(self, name):
        if self.lenient:
            return True
        if name.endswith("{}") and self.has(name[:-2]):
            return True
        if "*" in name:
            # a wildcard reference must match some known field or pattern
            return (any(fnmatch.fnmatchcase(n, name) for n in self.names)
                    or any(p == name or fnmatch.fnmatchcase(p.replace("*", "x"), name)
                           or fnmatch.fnmatchcase(name.replace("*", "x"), p)
                           for p in self.patterns))
        if name in self.names:
            return True
        return any(fnmatch.fnmatchcase(name, p) for p in self.patterns)

    def expand(self, pattern):
        if "*" not in pattern:
            return {pattern}
        got = {n for n in self.names if fnmatch.fnmatchcase(n, pattern)}
        got |= {p for p in self.patterns if p == pattern}
        return got or {pattern}

    def __iter__(self):
        return iter(self.names | self.patterns)


# --------------------------------------------------------------------------
# props.conf: fields the app creates at search time

def parse_lookup_spec(text):
    """Parse 'name in [AS ev] ... OUTPUT|OUTPUTNEW out [AS ev] ...'.

    Returns (name, [(column, event_field)] inputs, [(column, event_field)] outputs)."""
    toks = text.split()
    if not toks:
        raise ValueError("empty lookup")
    name = toks[0]
    ins, outs = [], []
    target = ins
    i = 1
    while i < len(toks):
        t = toks[i]
        if t.upper() in ("OUTPUT", "OUTPUTNEW"):
            target = outs
            i += 1
            continue
        if "=" in t and target is ins and not ins:
            i += 1                      # lookup options such as local=t
            continue
        col = t.rstrip(",")
        ev = col
        if i + 2 < len(toks) + 1 and i + 1 < len(toks) and toks[i + 1].upper() == "AS":
            if i + 2 >= len(toks):
                raise ValueError("AS without a field name")
            ev = toks[i + 2].rstrip(",")
            i += 3
        else:
            i += 1
        target.append((col, ev))
    return name, ins, outs


def props_created(props, stanza):
    """Fields props.conf creates for a sourcetype stanza: (FieldSet, errors)."""
    created = FieldSet()
    for key, value in props.get(stanza, {}).items():
        if key.startswith("EVAL-"):
            created.add(key[5:])
        elif key.startswith("FIELDALIAS-"):
            for m in re.finditer(r"(\S+)\s+AS(?:NEW)?\s+(\S+)", value, re.I):
                created.add(m.group(2))
        elif key.startswith("LOOKUP-"):
            _, _, outs = parse_lookup_spec(value)
            for col, ev in outs:
                created.add(ev)
    return created


def lookup_columns(name, transforms=None):
    """Columns of the CSV behind a lookup definition (or a .csv file name)."""
    transforms = app_conf("transforms.conf") if transforms is None else transforms
    fname = transforms.get(name, {}).get("filename")
    if fname is None and name.endswith(".csv"):
        fname = name
    if fname is None:
        return None
    path = os.path.join(APP_DIR, "lookups", fname)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


class Schema:
    """Everything the SPL field checker needs to know about available fields."""

    def __init__(self):
        self.fields = load_fields()
        self.props = app_conf("props.conf")
        self.transforms = app_conf("transforms.conf")
        self.macros = app_conf("macros.conf")
        self.savedsearches = app_conf("savedsearches.conf")

    def raw_fields(self, sourcetypes=None):
        sts = sourcetypes or list(self.fields)
        fs = FieldSet(DEFAULT_FIELDS)
        for st in sts:
            fs.update(self.fields.get(st, ()))
        return fs

    def base_fields(self, sourcetypes=None):
        """Fields an event has at search time (schema + props-created)."""
        sts = sourcetypes or list(self.fields)
        fs = self.raw_fields(sts)
        for st in sts:
            fs = fs.union(props_created(self.props, st))
        return fs


# --------------------------------------------------------------------------
# SPL

class SplError(Exception):
    pass


KNOWN_COMMANDS = {
    "abstract", "accum", "addcoltotals", "addinfo", "addtotals", "analyzefields",
    "anomalies", "anomalousvalue", "append", "appendcols", "appendpipe",
    "arules", "associate", "autoregress", "bin", "bucket", "bucketdir", "chart",
    "cluster", "collect", "concurrency", "contingency", "convert", "correlate",
    "datamodel", "dbinspect", "dedup", "delta", "diff", "eval", "eventcount",
    "eventstats", "extract", "kv", "fieldformat", "fields", "fieldsummary",
    "filldown", "fillnull", "findtypes", "foreach", "format", "from", "gentimes",
    "geom", "geostats", "head", "highlight", "history", "iconify", "inputcsv",
    "inputlookup", "iplocation", "join", "kmeans", "loadjob", "localize",
    "lookup", "makecontinuous", "makemv", "makeresults", "map", "metadata",
    "metasearch", "mstats", "multikv", "multisearch", "mvcombine", "mvexpand",
    "nomv", "outlier", "outputcsv", "outputlookup", "overlap", "predict",
    "rangemap", "rare", "regex", "reltime", "rename", "replace", "rest", "return",
    "reverse", "rex", "savedsearch", "search", "searchtxn", "selfjoin",
    "sendemail", "set", "setfields", "sichart", "sirare", "sistats", "sitimechart",
    "sitop", "sort", "spath", "stats", "strcat", "streamstats", "table", "tags",
    "tail", "timechart", "timewrap", "top", "transaction", "transpose", "trendline",
    "tstats", "typeahead", "typer", "union", "uniq", "untable", "where", "x11",
    "xmlkv", "xmlunescape", "xpath", "xyseries",
}
EVAL_KEYWORDS = {"AND", "OR", "NOT", "XOR", "LIKE", "IN", "true", "false", "null",
                 "TRUE", "FALSE", "NULL", "by", "BY", "as", "AS"}
STATS_OPTIONS = {"span", "limit", "useother", "usenull", "current", "window",
                 "global", "reset_on_change", "bins", "partial", "allnum", "delim",
                 "cont", "fixedrange", "format", "minspan", "otherstr", "nullstr",
                 "agg", "sep", "time_window", "reset_before", "reset_after",
                 "dedup_splitvals", "start", "end", "aligntime", "where"}
STATS_FUNCS = {"avg", "count", "c", "dc", "distinct_count", "estdc", "estdc_error",
               "exactperc", "first", "last", "earliest", "latest", "earliest_time",
               "latest_time", "list", "max", "mean", "median", "min", "mode", "perc",
               "p", "upperperc", "range", "rate", "stdev", "stdevp", "sum", "sumsq",
               "values", "var", "varp", "per_second", "per_minute", "per_hour",
               "per_day", "sparkline"}


def check_balance(spl):
    """Balanced quotes, backticks and brackets. Returns a list of errors."""
    errors = []
    stack = []
    i = 0
    n = len(spl)
    pairs = {")": "(", "]": "[", "}": "{"}
    while i < n:
        ch = spl[i]
        if ch == '"':
            j = i + 1
            while j < n and spl[j] != '"':
                j += 2 if spl[j] == "\\" else 1
            if j >= n:
                errors.append(f"unterminated double quote at offset {i}")
                return errors
            i = j + 1
            continue
        if ch in ("'", "`"):
            j = spl.find(ch, i + 1)
            if j < 0:
                errors.append(f"unterminated {ch} at offset {i}")
                return errors
            i = j + 1
            continue
        if ch in "([{":
            stack.append((ch, i))
        elif ch in ")]}":
            if not stack or stack[-1][0] != pairs[ch]:
                errors.append(f"unmatched {ch!r} at offset {i}")
                return errors
            stack.pop()
        i += 1
    for ch, pos in stack:
        errors.append(f"unclosed {ch!r} at offset {pos}")
    return errors


def _split_top(text, sep):
    """Split on sep outside quotes and brackets."""
    parts, buf, depth, i = [], [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "\"'`":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if (ch == '"' and text[j] == "\\") else 1
            buf.append(text[i:j + 1])
            i = j + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


MACRO_RE = re.compile(r"`([^`]*)`")


def expand_macros(spl, macros, depth=0, used=None):
    """Expand `name` and `name(a,b)` macros. Raises SplError on unknown macros,
    wrong argument counts and recursion. Records used macro stanzas in used."""
    if depth > 20:
        raise SplError("macro recursion too deep")

    def repl(m):
        body = m.group(1).strip()
        mm = re.match(r"^([A-Za-z0-9_:.\-]+)\s*(?:\((.*)\))?$", body, re.S)
        if not mm:
            raise SplError(f"malformed macro call `{body}`")
        name, argtext = mm.group(1), mm.group(2)
        args = [] if argtext is None else [a.strip() for a in _split_top(argtext, ",")]
        if argtext is not None and argtext.strip() == "":
            args = []
        stanza = f"{name}({len(args)})" if args else name
        if stanza not in macros:
            others = [s for s in macros if s == name or s.startswith(name + "(")]
            if others:
                raise SplError(f"macro `{body}` called with {len(args)} argument(s); "
                               f"defined: {', '.join(sorted(others))}")
            raise SplError(f"unknown macro `{name}`")
        if used is not None:
            used.add(stanza)
        m_def = macros[stanza]
        definition = m_def.get("definition", "")
        if m_def.get("iseval", "false").lower() in ("1", "true"):
            raise SplError(f"eval-based macro {stanza} cannot be checked")
        names = [a.strip() for a in m_def.get("args", "").split(",") if a.strip()] if args else []
        if len(names) != len(args):
            raise SplError(f"macro {stanza} declares {len(names)} args, called with {len(args)}")
        for a_name, a_val in zip(names, args):
            definition = definition.replace(f"${a_name}$", a_val)
        leftover = re.findall(r"\$([A-Za-z0-9_\-]+)\$", definition)
        if args and leftover:
            raise SplError(f"macro {stanza} leaves ${leftover[0]}$ unsubstituted")
        return " " + expand_macros(definition, macros, depth + 1, used) + " "

    # macros inside double-quoted strings are not expanded by Splunk
    out, i = [], 0
    for part in re.split(r'("(?:\\.|[^"\\])*")', spl):
        if part.startswith('"') and part.endswith('"') and len(part) >= 2:
            out.append(part)
        else:
            out.append(MACRO_RE.sub(repl, part))
    return "".join(out)


def _blank_strings(text):
    """Replace double-quoted strings by "" so their content is not parsed."""
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


IDENT_RE = re.compile(r"'([^']+)'|([A-Za-z_][A-Za-z0-9_]*)(\s*\()?")


def expr_refs(expr):
    """Field names an eval/where expression reads."""
    refs = set()
    text = _blank_strings(expr)
    for m in IDENT_RE.finditer(text):
        if m.group(1) is not None:
            refs.add(m.group(1))
            continue
        name, call = m.group(2), m.group(3)
        if call or name in EVAL_KEYWORDS:
            continue
        start = m.start(2)
        if start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
            continue                      # part of a number such as 1e5 or 0.5
        refs.add(name)
    return refs


def search_refs(text):
    """Fields used in search terms: field=value, field!=value, field IN (...)."""
    refs = set()
    t = _blank_strings(text)
    t = re.sub(r"\$[^$\s]*\$", "TOKEN", t)
    for m in re.finditer(r"(?<![\w.:*])([A-Za-z_][A-Za-z0-9_.{}]*)\s*(!=|<=|>=|=|<|>)", t):
        refs.add(m.group(1))
    for m in re.finditer(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_.{}]*)\s+IN\s*\(", t):
        refs.add(m.group(1))
    return {r for r in refs if r not in SEARCH_MODIFIERS}


def _words(text):
    return [w for w in re.split(r"[\s,]+", text.strip()) if w]


class Analysis:
    def __init__(self):
        self.errors = []
        self.commands = []
        self.savedsearch_refs = set()
        self.lookups = set()


def _segments(spl):
    spl = spl.strip()
    if spl.startswith("|"):
        spl = spl[1:]
        first_is_search = False
    else:
        first_is_search = True
    segs = [s.strip() for s in _split_top(spl, "|")]
    return segs, first_is_search


def sourcetypes_in(spl):
    return sorted(set(re.findall(r'sourcetype\s*=\s*"?([A-Za-z0-9_:]+)"?', spl)))


def _top_tokens(text):
    """Split on whitespace and commas outside quotes and parentheses."""
    toks, buf, depth, i = [], [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if (ch == '"' and text[j] == "\\") else 1
            buf.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 0 and (ch.isspace() or ch == ","):
            if buf:
                toks.append("".join(buf))
                buf = []
        else:
            buf.append(ch)
        i += 1
    if buf:
        toks.append("".join(buf))
    return toks


def _stats_like(cmd, rest, avail, an, ctx):
    """stats, eventstats, streamstats, timechart, chart. Returns (outputs, by)."""
    toks = _top_tokens(rest)
    by, over, aggs = [], [], []
    i = 0
    mode = "aggs"
    while i < len(toks):
        t = toks[i]
        if t in ("BY", "by"):
            mode = "by"
        elif t in ("OVER", "over") and cmd == "chart":
            mode = "over"
        elif "=" in t.split("(", 1)[0]:
            key = t.split("=", 1)[0]
            if key not in STATS_OPTIONS:
                an.errors.append(f"{ctx}: {cmd}: unknown option {t!r}")
        elif mode == "by":
            by.append(t)
        elif mode == "over":
            over.append(t)
            mode = "aggs"
        else:
            alias = None
            if i + 2 < len(toks) + 1 and i + 1 < len(toks) and toks[i + 1] in ("AS", "as"):
                if i + 2 >= len(toks):
                    an.errors.append(f"{ctx}: {cmd}: AS without a name")
                    break
                alias = toks[i + 2]
                i += 2
            aggs.append((t, alias))
        i += 1
    outputs = []
    for t, alias in aggs:
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$", t, re.S)
        if not m:
            an.errors.append(f"{ctx}: {cmd}: cannot read {t!r}")
            continue
        fn, inner = m.group(1), m.group(2)
        base = re.sub(r"\d+$", "", fn)
        if fn not in STATS_FUNCS and base not in ("p", "perc", "exactperc", "upperperc"):
            an.errors.append(f"{ctx}: {cmd}: unknown function {fn!r}")
            continue
        if inner is not None:
            inner = inner.strip()
            me = re.match(r"^eval\((.*)\)$", inner, re.S)
            if me:
                for r in expr_refs(me.group(1)):
                    if not avail.has(r):
                        an.errors.append(f"{ctx}: {cmd}: field {r!r} is not available")
            elif inner and not avail.has(inner):
                an.errors.append(f"{ctx}: {cmd}: field {inner!r} is not available")
        elif fn not in ("count", "c"):
            an.errors.append(f"{ctx}: {cmd}: {fn} needs a field")
        outputs.append(alias or t)
    for f in by + over:
        if not avail.has(f):
            an.errors.append(f"{ctx}: {cmd}: BY field {f!r} is not available")
    return outputs, by + over


def analyze(spl, schema, avail=None, ctx="search", tokens_ok=True, an=None,
            expand=True):
    """Check one SPL string. Returns (Analysis, FieldSet available at the end)."""
    an = an or Analysis()
    if tokens_ok:
        spl = re.sub(r"\$[A-Za-z0-9_.:|]+\$", "TOKEN", spl)
    for e in check_balance(spl):
        an.errors.append(f"{ctx}: {e}")
    if an.errors:
        return an, avail or FieldSet(lenient=True)
    if expand:
        try:
            spl = expand_macros(spl, schema.macros)
        except SplError as exc:
            an.errors.append(f"{ctx}: {exc}")
            return an, FieldSet(lenient=True)
    segs, first_is_search = _segments(spl)
    if avail is None:
        sts = [s for s in sourcetypes_in(segs[0]) if s in schema.fields] if first_is_search else []
        avail = schema.base_fields(sts or None)
    avail = avail.copy()
    for idx, seg in enumerate(segs):
        if not seg:
            an.errors.append(f"{ctx}: empty pipeline segment")
            continue
        if idx == 0 and first_is_search:
            cmd, rest = "search", seg
        else:
            parts = seg.split(None, 1)
            cmd, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        an.commands.append(cmd)
        if cmd not in KNOWN_COMMANDS:
            an.errors.append(f"{ctx}: unknown command {cmd!r}")
            avail = FieldSet(lenient=True)
            continue
        c = f"{ctx}: |{cmd}"
        # subsearches: analyse separately, fields created there become available
        subs = re.findall(r"\[\s*(.*?)\s*\]$", rest, re.S) if cmd in ("append", "appendcols", "join") else []
        if cmd in ("search", "where"):
            refs = search_refs(rest) if cmd == "search" else expr_refs(rest)
            for r in refs:
                if not avail.has(r):
                    an.errors.append(f"{c}: field {r!r} is not available")
        elif cmd in ("eval", "fieldformat"):
            for assign in _split_top(rest, ","):
                if "=" not in assign:
                    an.errors.append(f"{c}: not an assignment: {assign.strip()!r}")
                    continue
                name, expr = assign.split("=", 1)
                name = name.strip().strip("'")
                for r in expr_refs(expr):
                    if not avail.has(r):
                        an.errors.append(f"{c}: field {r!r} is not available")
                avail.add(name)
        elif cmd in ("stats", "eventstats", "streamstats", "timechart", "chart"):
            outputs, by = _stats_like(cmd, rest, avail, an, c)
            if cmd == "stats":
                avail = FieldSet(outputs + by)
            elif cmd in ("timechart", "chart"):
                if by and cmd == "timechart" or cmd == "chart" and len(by) > 1:
                    avail = FieldSet(lenient=True)      # columns named by data values
                else:
                    avail = FieldSet(outputs + by + ["_time", "_span"])
            else:
                avail.update(outputs)
        elif cmd in ("table", "fields"):
            words = _words(rest)
            minus = words[:1] == ["-"]
            if words[:1] in (["-"], ["+"]):
                words = words[1:]
            for w in words:
                if not avail.has(w):
                    an.errors.append(f"{c}: field {w!r} is not available")
            if not minus:
                new = FieldSet(lenient=avail.lenient)
                for w in words:
                    for x in avail.expand(w):
                        new.add(x)
                avail = new
        elif cmd == "rename":
            for m in re.finditer(r"(\S+)\s+(?:AS|as)\s+(\S+)", rest):
                old, new = m.group(1).strip(","), m.group(2).strip(",")
                if not avail.has(old):
                    an.errors.append(f"{c}: field {old!r} is not available")
                avail.names.discard(old)
                avail.add(new)
        elif cmd in ("sort", "dedup", "mvexpand", "makemv", "filldown", "nomv"):
            for w in _words(rest):
                if re.match(r"^\d+$", w) or "=" in w:
                    continue
                w = w.lstrip("+-")
                mf = re.match(r"^(?:num|str|ip|auto)\((.*)\)$", w)
                w = mf.group(1) if mf else w
                if w and not avail.has(w):
                    an.errors.append(f"{c}: field {w!r} is not available")
        elif cmd in ("bin", "bucket"):
            ws = [w for w in _words(rest) if "=" not in w]
            if ws and not avail.has(ws[0]):
                an.errors.append(f"{c}: field {ws[0]!r} is not available")
            ma = re.search(r"\b(?:AS|as)\s+(\S+)", rest)
            if ma:
                avail.add(ma.group(1))
        elif cmd == "fillnull":
            for w in _words(rest):
                if "=" in w:
                    continue
                if not avail.has(w):
                    an.errors.append(f"{c}: field {w!r} is not available")
                avail.add(w)
        elif cmd == "lookup":
            try:
                name, ins, outs = parse_lookup_spec(rest)
            except ValueError as exc:
                an.errors.append(f"{c}: {exc}")
                continue
            an.lookups.add(name)
            cols = lookup_columns(name, schema.transforms)
            if cols is None:
                an.errors.append(f"{c}: unknown lookup {name!r}")
                continue
            for col, ev in ins:
                if col not in cols:
                    an.errors.append(f"{c}: lookup {name} has no column {col!r}")
                if not avail.has(ev):
                    an.errors.append(f"{c}: field {ev!r} is not available")
            for col, ev in outs or [(x, x) for x in cols]:
                if col not in cols:
                    an.errors.append(f"{c}: lookup {name} has no column {col!r}")
                avail.add(ev)
        elif cmd == "inputlookup":
            ws = [w for w in _words(rest) if "=" not in w]
            cols = lookup_columns(ws[0], schema.transforms) if ws else None
            if cols is None:
                an.errors.append(f"{c}: unknown lookup {ws[:1]}")
                avail = FieldSet(lenient=True)
            else:
                an.lookups.add(ws[0])
                avail = FieldSet(cols)
        elif cmd in ("top", "rare"):
            text = rest
            m = re.search(r"\b(?:BY|by)\b(.*)$", text)
            by = _words(m.group(1)) if m else []
            text = text[:m.start()] if m else text
            fs = [w for w in _words(text) if "=" not in w]
            for w in fs + by:
                if not avail.has(w):
                    an.errors.append(f"{c}: field {w!r} is not available")
            avail = FieldSet(fs + by + ["count", "percent"])
        elif cmd == "savedsearch":
            name = rest.strip().strip('"')
            an.savedsearch_refs.add(name)
            if name not in schema.savedsearches:
                an.errors.append(f"{c}: no saved search {name!r}")
            avail = FieldSet(lenient=True)
        elif cmd in ("append", "appendcols", "join"):
            for sub in subs:
                sub_an, sub_avail = analyze(sub, schema, None, ctx + " [sub]",
                                            tokens_ok, None, expand=False)
                an.errors.extend(sub_an.errors)
                avail = avail.union(sub_avail)
        elif cmd in ("head", "tail", "reverse"):
            pass
        else:
            # known command without a field model here: stop tracking fields
            avail = FieldSet(lenient=True)
    return an, avail


def saved_search_spl(name, schema):
    return schema.savedsearches.get(name, {}).get("search")


# --------------------------------------------------------------------------
# Dashboard Studio views

def studio_definition(path):
    """The JSON definition of a Dashboard Studio view (<dashboard version="2">),
    or None for a Simple XML view.  Raises ValueError when the file claims to
    be a Studio view and the definition is missing or not JSON."""
    import json
    import xml.etree.ElementTree as ET
    root = ET.parse(path).getroot()
    if root.get("version") != "2":
        return None
    el = root.find("definition")
    if el is None or not (el.text or "").strip():
        raise ValueError(f"{os.path.basename(path)}: version 2 without a <definition>")
    try:
        return json.loads(el.text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{os.path.basename(path)}: definition is not JSON: {exc}") from None


# project version

def meson_version():
    p = os.path.join(ROOT, "meson.build")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"\bproject\s*\((.*?)\)\s*$", text, re.S | re.M)
    scope = m.group(1) if m else text
    m = re.search(r"\bversion\s*:\s*'([^']+)'", scope)
    return m.group(1) if m else None


def run_tests():
    """unittest.main with the exit codes meson expects: 0 pass, 1 fail, 77 skip."""
    import sys
    import unittest
    prog = unittest.main(exit=False)
    result = prog.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun and len(result.skipped) == result.testsRun:
        sys.exit(SKIP)
    sys.exit(0)
