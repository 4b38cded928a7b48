"""Classes with operator methods: a ray tracer rendering a small scene (spheres
on a checkered plane, one light, shadows and one level of reflection) into a
grid of brightness values."""
import math

import _timing


class Vec:
    __slots__ = ("x", "y", "z")

    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y, self.z + o.z)

    def __sub__(self, o):
        return Vec(self.x - o.x, self.y - o.y, self.z - o.z)

    def scale(self, k):
        return Vec(self.x * k, self.y * k, self.z * k)

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * o.z

    def unit(self):
        return self.scale(1.0 / math.sqrt(self.dot(self)))


class Ray:
    __slots__ = ("origin", "direction")

    def __init__(self, origin, direction):
        self.origin = origin
        self.direction = direction.unit()

    def at(self, t):
        return self.origin + self.direction.scale(t)


class Sphere:
    def __init__(self, center, radius, shade, mirror):
        self.center = center
        self.radius = radius
        self.shade = shade
        self.mirror = mirror

    def hit(self, ray):
        oc = ray.origin - self.center
        b = oc.dot(ray.direction)
        disc = b * b - oc.dot(oc) + self.radius * self.radius
        if disc < 0:
            return None
        t = -b - math.sqrt(disc)
        return t if t > 1e-6 else None

    def normal(self, point):
        return (point - self.center).unit()

    def colour(self, point):
        return self.shade


class Floor:
    mirror = 0.2

    def __init__(self, height):
        self.height = height

    def hit(self, ray):
        if abs(ray.direction.y) < 1e-9:
            return None
        t = (self.height - ray.origin.y) / ray.direction.y
        return t if t > 1e-6 else None

    def normal(self, point):
        return Vec(0.0, 1.0, 0.0)

    def colour(self, point):
        return 0.9 if (math.floor(point.x) + math.floor(point.z)) % 2 else 0.2


class Scene:
    def __init__(self):
        self.things = [Sphere(Vec(0.0, 1.0, 5.0), 1.0, 0.8, 0.3), Sphere(Vec(-2.0, 0.5, 6.0), 0.5, 0.5, 0.0),
                       Sphere(Vec(1.8, 0.7, 4.0), 0.7, 0.6, 0.6), Floor(0.0)]
        self.light = Vec(-3.0, 6.0, 1.0)

    def nearest(self, ray):
        best, thing = None, None
        for candidate in self.things:
            t = candidate.hit(ray)
            if t is not None and (best is None or t < best):
                best, thing = t, candidate
        return best, thing

    def trace(self, ray, depth):
        t, thing = self.nearest(ray)
        if thing is None:
            return 0.1
        point = ray.at(t)
        normal = thing.normal(point)
        to_light = (self.light - point).unit()
        lit = max(0.0, normal.dot(to_light))
        if lit and self.nearest(Ray(point, to_light))[1] is not None:
            lit *= 0.3
        value = thing.colour(point) * (0.15 + 0.85 * lit)
        if depth and thing.mirror:
            d = ray.direction
            reflected = d - normal.scale(2 * d.dot(normal))
            value = value * (1 - thing.mirror) + thing.mirror * self.trace(Ray(point, reflected), depth - 1)
        return value


def workload():
    scene = Scene()
    eye = Vec(0.0, 1.5, -2.0)
    size = 120
    total = 0.0
    for row in range(size):
        for col in range(size):
            target = Vec((col - size / 2) / size * 2, 1.5 - (row - size / 2) / size * 2, 0.0)
            total += scene.trace(Ray(eye, target - eye), 1)
    return round(total, 6)


_timing.run("raytrace", workload)
