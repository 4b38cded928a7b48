"""A small class-heavy simulation: particles with properties, methods and a grid."""
import math

import _timing


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y)

    def __mul__(self, k):
        return Vec(self.x * k, self.y * k)

    @property
    def norm(self):
        return math.hypot(self.x, self.y)


class Particle:
    def __init__(self, i):
        self.pos = Vec(math.cos(i) * 50 + 50, math.sin(i * 1.3) * 50 + 50)
        self.vel = Vec(math.sin(i) * 0.7, math.cos(i * 0.7) * 0.7)
        self.hits = 0

    def step(self, dt):
        self.pos = self.pos + self.vel * dt
        if not 0 <= self.pos.x <= 100:
            self.vel = Vec(-self.vel.x, self.vel.y)
            self.hits += 1
        if not 0 <= self.pos.y <= 100:
            self.vel = Vec(self.vel.x, -self.vel.y)
            self.hits += 1


class World:
    def __init__(self, n):
        self.particles = [Particle(i) for i in range(n)]

    def cells(self):
        grid = {}
        for p in self.particles:
            grid.setdefault((int(p.pos.x // 10), int(p.pos.y // 10)), []).append(p)
        return grid

    def run(self, steps):
        crowded = 0
        for _ in range(steps):
            for p in self.particles:
                p.step(1.5)
            crowded += max(len(c) for c in self.cells().values())
        return crowded + sum(p.hits for p in self.particles) + round(sum(p.vel.norm for p in self.particles))


def workload():
    return World(800).run(250)


_timing.run("classes", workload)
