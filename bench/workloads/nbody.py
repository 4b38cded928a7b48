"""Floating-point physics: a five-body orbit integrated step by step, with the
bodies as small lists (attribute-free arithmetic on floats)."""

import _timing

YEAR = 365.24
SOLAR_MASS = 4 * 3.141592653589793 ** 2

# position (AU), velocity (AU per year), mass (solar masses): a sun and four
# outer planets, rounded.
BODIES = [
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 1.0),
    ([4.84, -1.16, -0.10], [0.606, 2.812, -0.025], 9.54e-4),
    ([8.34, 4.12, -0.40], [-1.011, 1.825, 0.008], 2.86e-4),
    ([12.89, -15.11, -0.22], [1.082, 0.869, -0.011], 4.37e-5),
    ([15.38, -25.92, 0.18], [0.979, 0.595, -0.035], 5.15e-5),
]


def energy(bodies):
    e = 0.0
    for i, (p, v, m) in enumerate(bodies):
        e += 0.5 * m * SOLAR_MASS * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        for q, _, m2 in bodies[i + 1:]:
            dx, dy, dz = p[0] - q[0], p[1] - q[1], p[2] - q[2]
            e -= m * m2 * SOLAR_MASS * SOLAR_MASS / (dx * dx + dy * dy + dz * dz) ** 0.5
    return e


def advance(bodies, pairs, dt, steps):
    for _ in range(steps):
        for (p1, v1, m1), (p2, v2, m2) in pairs:
            dx = p1[0] - p2[0]
            dy = p1[1] - p2[1]
            dz = p1[2] - p2[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * d2 ** 0.5)
            k1 = m1 * SOLAR_MASS * mag
            k2 = m2 * SOLAR_MASS * mag
            v1[0] -= dx * k2
            v1[1] -= dy * k2
            v1[2] -= dz * k2
            v2[0] += dx * k1
            v2[1] += dy * k1
            v2[2] += dz * k1
        for p, v, _ in bodies:
            p[0] += dt * v[0]
            p[1] += dt * v[1]
            p[2] += dt * v[2]


def workload():
    bodies = [(list(p), list(v), m) for p, v, m in BODIES]
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    before = energy(bodies)
    advance(bodies, pairs, 0.01, 20000)
    return round(before, 9), round(energy(bodies), 9)


_timing.run("nbody", workload)
