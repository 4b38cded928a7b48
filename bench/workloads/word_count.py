"""Text processing: generate a text, normalise it (case, punctuation), count
words and pairs of words, and report the most frequent ones."""
from collections import Counter

import _timing

SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "an", "el", "is", "or"]


def make_text(words):
    """Deterministic pseudo-words (a linear congruential generator, not random,
    so every Python version makes the same text)."""
    state = 12345
    out = []
    for i in range(words):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        length = 1 + (state >> 8) % 3
        word = "".join(SYLLABLES[(state >> (4 * k)) % 12] for k in range(length))
        if state % 7 == 0:
            word = word.capitalize()
        out.append(word + (",." [state % 2] if state % 11 == 0 else ""))
    return " ".join(out)


TEXT = make_text(100000)


def workload():
    words = [w.strip(",.").lower() for w in TEXT.split()]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    pairs = Counter(zip(words, words[1:]))
    longest = max(counts, key=lambda w: (len(w), w))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return len(counts), top[:3], pairs.most_common(1)[0][1], longest


_timing.run("word_count", workload)
