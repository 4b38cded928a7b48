"""Exercises a slice of the standard library and prints deterministic lines.

Run by native-tests under pyodide-run and under the machine's python3; the
outputs must be identical. So: no version strings, no timestamps, no set or
hash ordering of str, no floats whose last digits depend on the C library
(those are printed rounded), nothing that depends on the host.
"""
import asyncio
import collections
import datetime
import decimal
import fractions
import hashlib
import itertools
import json
import math
import random
import re
import sqlite3
import struct
import unicodedata
import zlib


def out(*args):
    print(*args)


def section(name):
    print(f"== {name}")


# ---------------------------------------------------------------- json
section("json")
doc = {"b": [1, 2.5, None, True], "a": {"nested": "caf\u00e9 \u20ac"}, "n": -7}
text = json.dumps(doc, sort_keys=True)
out(text)
out(json.dumps(doc, sort_keys=True, ensure_ascii=False))
out(json.dumps(doc, sort_keys=True, indent=2, separators=(",", ": ")))
back = json.loads(text)
out(back == doc, type(back["b"][1]).__name__, back["a"]["nested"])
out(json.loads('"\\ud83d\\ude00"') == "\U0001F600")
try:
    json.loads("{bad json}")
except json.JSONDecodeError as e:
    out("JSONDecodeError", e.msg, e.lineno, e.colno)
out(json.dumps([float("inf"), -0.0, 1e300, 0.1]))

# ---------------------------------------------------------------- re
section("re")
s = "The year 2023 had 365 days; 2024 has 366. Caf\u00e9 na\u00efve."
out(re.findall(r"\d+", s))
out(re.sub(r"(\d{4})", r"<\1>", s))
m = re.search(r"(?P<year>\d{4}) has (?P<days>\d+)", s)
out(m.group("year"), m.group("days"), m.span(), m.groupdict())
out(re.split(r"[;.]\s*", s))
out(re.findall(r"\w+", "Caf\u00e9 na\u00efve \u00fcber"))
out(re.findall(r"(?i)CAF\u00c9", s))
out(bool(re.fullmatch(r"[a-z]+@[a-z]+\.[a-z]{2,}", "user@example.org")))
out(re.compile(r"(a)(b)?").match("ac").groups())

# ---------------------------------------------------------------- math
section("math")
out(math.factorial(30), math.gcd(462, 1071), math.lcm(4, 6, 10))
out(math.comb(52, 5), math.perm(10, 3), math.isqrt(10**20 + 12345))
out(math.sqrt(2), math.sqrt(1e10), math.hypot(3, 4))
out(math.floor(-2.5), math.ceil(-2.5), math.trunc(-2.5), round(2.5), round(3.5))
out(math.fsum([0.1] * 10), sum([0.1] * 10))
out(math.pi, math.e, math.inf, -math.inf, math.isnan(math.nan))
out(math.log2(1024), math.log10(1000), math.ldexp(0.75, 4), math.frexp(48.0))
out(f"{math.sin(1):.12f} {math.cos(1):.12f} {math.exp(2.5):.10f} {math.log(7):.12f}")
out(f"{math.atan2(1, 2):.12f} {math.tanh(0.5):.12f} {math.gamma(4.5):.10f}")
out(math.copysign(3, -0.0), math.fmod(-7, 3), -7 % 3, divmod(-7, 3))
out(2**100, -(2**64) // 3, pow(3, 200, 1000007), pow(7, -1, 13))
out(0.1 + 0.2, 1 / 3, 2 / 3, 1e16 + 1, 123456789.123456789)
out(float.fromhex("0x1.8p1"), (0.1).hex(), (2.5).as_integer_ratio())

# ---------------------------------------------------------------- decimal
section("decimal")
D = decimal.Decimal
ctx = decimal.getcontext()
ctx.prec = 50
out(D(1) / D(7))
out(D(2).sqrt())
out(D("1.10") + D("2.20"), D("1.1") * D("3"), D("10") / D("4"))
ctx.prec = 28
out(D("123.456").quantize(D("0.01"), rounding=decimal.ROUND_HALF_EVEN))
out(D("2.675").quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP))
out(D("-0"), D("1e-10"), D("1.23E+5").normalize(), D(0.1))
out(D("7").ln().quantize(D("1e-20")), D("2").exp().quantize(D("1e-20")))
with decimal.localcontext() as lc:
    lc.prec = 5
    out(D(22) / D(7))
try:
    D(1) / D(0)
except decimal.DivisionByZero as e:
    out("DivisionByZero", type(e).__name__)

section("fractions")
F = fractions.Fraction
out(F(1, 3) + F(1, 6), F("3.1415"), F(0.5), F(22, 7).limit_denominator(5))

# ---------------------------------------------------------------- datetime
section("datetime")
d = datetime.date(2024, 2, 28)
out(d + datetime.timedelta(days=1), d + datetime.timedelta(days=2))
out(d.isoformat(), d.weekday(), d.isoweekday(), tuple(d.isocalendar()), d.toordinal())
dt = datetime.datetime(2023, 12, 31, 23, 59, 30, 123456)
out(dt + datetime.timedelta(seconds=45), dt.isoformat(), dt.strftime("%Y-%m-%d %H:%M:%S.%f %j"))
out(datetime.datetime(2024, 3, 10, 12, 0) - datetime.datetime(2023, 1, 1, 6, 30))
tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
aware = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=tz)
out(aware.isoformat(), aware.astimezone(datetime.timezone.utc).isoformat(), aware.utcoffset())
out(aware.timestamp(), datetime.datetime.fromtimestamp(0, datetime.timezone.utc))
out(datetime.datetime.strptime("2021-07-04 08:15", "%Y-%m-%d %H:%M"))
out(datetime.date.fromisoformat("2020-02-29").replace(year=2024), datetime.time(13, 5, 9))
out(repr(datetime.timedelta(days=-1, seconds=5)), datetime.timedelta(hours=36).total_seconds())

# ---------------------------------------------------------------- zlib
section("zlib")
data = ("Pyodide.Native " * 500).encode() + bytes(range(256))
for level in (0, 1, 6, 9):
    packed = zlib.compress(data, level)
    out(level, zlib.decompress(packed) == data, len(zlib.decompress(packed)))
out(zlib.crc32(data), zlib.adler32(data), zlib.crc32(b""), zlib.crc32(b"abc", 12345))
co = zlib.compressobj(9, zlib.DEFLATED, -15)
raw = co.compress(data) + co.flush()
out(zlib.decompress(raw, -15) == data)
do = zlib.decompressobj()
stream = zlib.compress(data)
pieces = b"".join(do.decompress(stream[i:i + 7]) for i in range(0, len(stream), 7))
out(pieces + do.flush() == data)
try:
    zlib.decompress(b"not zlib data")
except zlib.error as e:
    out("zlib.error", str(e))

# ---------------------------------------------------------------- lzma, bz2, archives
section("lzma-bz2")
import bz2
import io
import lzma
import tarfile
import zipfile

blob = ("Pyodide.Native " * 700).encode() + bytes(range(256)) * 3
for name, pack, unpack in (
    ("xz", lzma.compress, lzma.decompress),
    ("alone", lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE), lzma.decompress),
    ("bz2-9", bz2.compress, bz2.decompress),
    ("bz2-1", lambda d: bz2.compress(d, 1), bz2.decompress),
):
    packed = pack(blob)
    out(name, unpack(packed) == blob, len(packed) < len(blob) // 10)
out(lzma.is_check_supported(lzma.CHECK_CRC64), lzma.is_check_supported(lzma.CHECK_SHA256))
for mode in ("w:xz", "w:bz2"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        info = tarfile.TarInfo("dir/blob.bin")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r:*") as tar:
        out(mode, tar.getnames(), tar.extractfile("dir/blob.bin").read() == blob)
for method in (zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        z.writestr("blob.bin", blob)
    with zipfile.ZipFile(buf) as z:
        out(method, z.getinfo("blob.bin").compress_type, z.read("blob.bin") == blob, z.testzip())

# ---------------------------------------------------------------- zoneinfo
# Zones and dates whose rules have not changed in years, so that the host's
# time-zone database (whatever its version) and the sandbox's agree.
section("zoneinfo")
import zoneinfo

for zone, when in (
    ("America/New_York", (2026, 7, 1, 12)), ("America/New_York", (2026, 1, 15, 12)),
    ("Europe/Paris", (2024, 3, 31, 3)), ("Asia/Kolkata", (2000, 1, 1, 0)),
    ("Australia/Sydney", (2023, 10, 1, 3)), ("UTC", (2026, 7, 1, 0)),
):
    d = datetime.datetime(*when, tzinfo=zoneinfo.ZoneInfo(zone))
    out(zone, d.isoformat(), d.tzname(), d.astimezone(datetime.timezone.utc).isoformat())
ny = zoneinfo.ZoneInfo("America/New_York")
first = datetime.datetime(2025, 11, 2, 1, 30, tzinfo=ny)
out(first.utcoffset(), first.replace(fold=1).utcoffset())
try:
    zoneinfo.ZoneInfo("Nowhere/Special")
except zoneinfo.ZoneInfoNotFoundError as e:
    out("ZoneInfoNotFoundError", type(e).__mro__[1].__name__)

# ---------------------------------------------------------------- sqlite3
section("sqlite3")
con = sqlite3.connect(":memory:")
cur = con.cursor()
cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, blob BLOB)")
cur.executemany(
    "INSERT INTO t (name, score, blob) VALUES (?, ?, ?)",
    [("ann", 3.5, b"\x00\x01"), ("bob", 2.25, None), ("caf\u00e9", 4.0, b"")],
)
con.commit()
out(cur.execute("SELECT id, name, score, blob FROM t ORDER BY id").fetchall())
out(cur.execute("SELECT count(*), sum(score), max(name) FROM t").fetchone())
out(cur.execute("SELECT name FROM t WHERE score > ? ORDER BY score DESC", (3,)).fetchall())
out(cur.execute("SELECT upper('abc'), length('caf\u00e9'), 7 / 2, 7 / 2.0, 1 = 1").fetchone())
cur.execute("UPDATE t SET score = score * 2 WHERE name = 'bob'")
out(cur.rowcount, cur.execute("SELECT score FROM t WHERE name = 'bob'").fetchone())
con.row_factory = sqlite3.Row
row = con.execute("SELECT name, score FROM t WHERE id = 1").fetchone()
out(row.keys(), row["name"], row[1])
try:
    con.execute("SELECT * FROM missing_table")
except sqlite3.OperationalError as e:
    out("OperationalError", e)
con.close()

# ---------------------------------------------------------------- hashlib
section("hashlib")
msg = b"The quick brown fox jumps over the lazy dog"
for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512",
             "sha3_256", "sha3_512", "blake2b", "blake2s"):
    out(name, hashlib.new(name, msg).hexdigest())
out(hashlib.sha256(b"").hexdigest())
h = hashlib.sha256()
for chunk in (b"The quick ", b"brown fox ", b"jumps over the lazy dog"):
    h.update(chunk)
out(h.hexdigest() == hashlib.sha256(msg).hexdigest())
out(hashlib.blake2b(msg, digest_size=16, key=b"k").hexdigest())
out(hashlib.shake_128(msg).hexdigest(16))
out(hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000).hex())
import hmac
out(hmac.new(b"key", msg, "sha256").hexdigest())

# ---------------------------------------------------------------- collections
section("collections")
c = collections.Counter("abracadabra")
out(c.most_common(3), sorted(c.items()), c["z"])
c.update("aaz")
out(c.most_common(2), (c + collections.Counter("zz"))["z"])
od = collections.OrderedDict([("x", 1), ("y", 2), ("z", 3)])
od.move_to_end("x")
out(list(od), od.popitem(last=False))
dq = collections.deque(range(10), maxlen=8)
dq.rotate(3)
dq.appendleft(-1)
out(list(dq), dq.maxlen)
Point = collections.namedtuple("Point", "x y", defaults=[0])
p = Point(3)
out(p, p._replace(y=4), p._asdict(), Point._fields)
dd = collections.defaultdict(list)
for word in "apple avocado banana blueberry cherry".split():
    dd[word[0]].append(word)
out(dict(dd))
cm = collections.ChainMap({"a": 1}, {"a": 2, "b": 3})
out(cm["a"], cm["b"], sorted(cm))

# ---------------------------------------------------------------- itertools
section("itertools")
out(list(itertools.permutations("abc", 2)))
out(list(itertools.combinations(range(5), 3)))
out(list(itertools.combinations_with_replacement("ab", 3)))
out(list(itertools.product("xy", [0, 1])))
out(list(itertools.accumulate([1, 2, 3, 4, 5])), list(itertools.accumulate([3, 1, 4], max)))
out([(k, len(list(g))) for k, g in itertools.groupby("aaabbcaaa")])
out(list(itertools.islice(itertools.count(10, 3), 5)), list(itertools.repeat("r", 3)))
out(list(itertools.chain("ab", [1, 2])), list(itertools.zip_longest("abc", "d", fillvalue="-")))
out(list(itertools.pairwise("abcd")), list(itertools.compress("abcdef", [1, 0, 1, 0, 1, 1])))
out(list(itertools.starmap(pow, [(2, 5), (3, 2)])), list(itertools.takewhile(lambda x: x < 3, [1, 2, 5, 1])))
out(list(itertools.islice(itertools.cycle("xyz"), 7)), list(itertools.filterfalse(str.isdigit, "a1b2")))

# ---------------------------------------------------------------- asyncio
# asyncio's default event loop cannot start on WASI (no socketpair(), so
# asyncio.run() fails with OSError 58 in the sandbox): coroutines are driven
# by hand here, which needs no loop. asyncio.sleep(0) just yields.
section("asyncio")


def drive(coro):
    """Runs a coroutine that only ever yields bare (sleep(0)); returns (value, steps)."""
    steps = 0
    while True:
        try:
            coro.send(None)
        except StopIteration as stop:
            return stop.value, steps
        steps += 1


async def double(x):
    await asyncio.sleep(0)
    return x * 2


async def ticker(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


class Resource:
    def __init__(self):
        self.log = []

    async def __aenter__(self):
        self.log.append("enter")
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc):
        self.log.append("exit")
        return False


async def main_coro():
    results = [await double(i) for i in range(5)]
    ticks = [i async for i in ticker(3)]
    async with Resource() as res:
        res.log.append("body")
    try:
        await failing()
    except ValueError as e:
        caught = str(e)
    return results, ticks, res.log, caught


async def failing():
    await asyncio.sleep(0)
    raise ValueError("from a coroutine")


out(drive(main_coro()))


async def plain(x):
    return x + 1


coro = plain(41)
out(asyncio.iscoroutine(coro), asyncio.iscoroutinefunction(plain), asyncio.iscoroutinefunction(drive))
try:
    coro.send(None)
except StopIteration as stop:
    out("StopIteration", stop.value)
gen = ticker(2)
out(type(gen).__name__, drive(gen.__anext__()), drive(gen.__anext__()))
try:
    drive(gen.__anext__())
except StopAsyncIteration:
    out("StopAsyncIteration")

# ---------------------------------------------------------------- unicodedata
section("unicodedata")
for ch in "A\u00e9\u20ac\U0001F600\u0663\u00bd":
    out(f"U+{ord(ch):04X}", unicodedata.name(ch), unicodedata.category(ch),
        unicodedata.numeric(ch, None), unicodedata.bidirectional(ch))
out(unicodedata.lookup("GREEK SMALL LETTER ALPHA"), unicodedata.decimal("\u0663"))
for form in ("NFC", "NFD", "NFKC", "NFKD"):
    out(form, [f"{ord(c):04X}" for c in unicodedata.normalize(form, "e\u0301\ufb01\u2460")])
out(unicodedata.is_normalized("NFC", "\u00e9"), unicodedata.combining("\u0301"),
    unicodedata.east_asian_width("\u4e2d"), unicodedata.mirrored("("))
out("Stra\u00dfe".upper(), "\u0130".lower().encode("utf-8"), "\u01c5".title(), "\u00df".casefold())

# ---------------------------------------------------------------- misc
section("misc")
random.seed(12345)
out([random.randint(1, 100) for _ in range(5)], random.choice("abcdef"))
out(f"{random.random():.15f}", random.sample(range(100), 4))
rng = random.Random(7)
items = list(range(10))
rng.shuffle(items)
out(items)
out(struct.pack("<iHd", -2, 65535, 1.5).hex(), struct.unpack(">Q", b"\x00" * 7 + b"\x2a"))
out(sorted({"pear", "apple", "fig"}), sorted({3: "c", 1: "a"}.items()))
out("{:>8}|{:<6}|{:^7}|{:+.3e}|{:,}|{:08.3f}|{:x}".format("r", "l", "c", 12345.678, 10**9, -3.14159, 255))
out(f"{1/7:.20f}", f"{2.5:.0f}", f"{0.125:.2f}", f"{1e-7}", f"{123456789012345678.0}")
out("caf\u00e9".encode("utf-8"), b"caf\xc3\xa9".decode("utf-8"), "\u20ac".encode("utf-16-le"))
out(int("ff", 16), int("-0b101", 0), hex(-255), oct(8), bin(5), (255).to_bytes(2, "big"))
out(sorted(["b", "A", "a", "B"]), sorted(["b", "A", "a", "B"], key=str.lower))
print("done")
