"""Objects and method dispatch: a small operating-system kernel simulation
(in the spirit of Martin Richards' benchmark) where tasks of four kinds pass
packets through a scheduler that always runs the most urgent ready task."""

import _timing

IDLE, WORKER, HANDLER_A, HANDLER_B, DEVICE_A, DEVICE_B = range(6)


class Packet:
    __slots__ = ("link", "owner", "kind", "datum", "data")

    def __init__(self, link, owner, kind):
        self.link = link
        self.owner = owner
        self.kind = kind
        self.datum = 0
        self.data = [0] * 4


def append(packet, queue):
    """Puts packet at the end of the linked queue; returns the new head."""
    packet.link = None
    if queue is None:
        return packet
    tail = queue
    while tail.link is not None:
        tail = tail.link
    tail.link = packet
    return queue


class Task:
    def __init__(self, kernel, ident, priority, queue):
        self.kernel = kernel
        self.ident = ident
        self.priority = priority
        self.queue = queue
        self.waiting = queue is None
        self.held = False

    def ready(self):
        return not self.held and not (self.waiting and self.queue is None)

    def take(self):
        packet = self.queue
        if packet is not None:
            self.queue = packet.link
        return packet


class Idle(Task):
    def __init__(self, kernel, ident, priority, count):
        super().__init__(kernel, ident, priority, None)
        self.waiting = False
        self.seed = 1
        self.count = count

    def run(self):
        self.count -= 1
        if self.count == 0:
            return self.kernel.hold_self()
        if self.seed & 1:
            self.seed = (self.seed >> 1) ^ 0xD008
            return self.kernel.release(DEVICE_B)
        self.seed >>= 1
        return self.kernel.release(DEVICE_A)


class Worker(Task):
    def __init__(self, kernel, ident, priority, queue):
        super().__init__(kernel, ident, priority, queue)
        self.destination = HANDLER_A
        self.letter = 0

    def run(self):
        packet = self.take()
        if packet is None:
            return self.kernel.wait()
        self.destination = HANDLER_B if self.destination == HANDLER_A else HANDLER_A
        packet.owner = self.destination
        packet.datum = 0
        for i in range(4):
            self.letter = self.letter % 26 + 1
            packet.data[i] = self.letter
        return self.kernel.send(packet)


class Handler(Task):
    def __init__(self, kernel, ident, priority, queue):
        super().__init__(kernel, ident, priority, queue)
        self.work = None
        self.device = None

    def run(self):
        packet = self.take()
        if packet is not None:
            if packet.kind == "work":
                self.work = append(packet, self.work)
            else:
                self.device = append(packet, self.device)
        if self.work is not None:
            work = self.work
            if work.datum >= 4:
                self.work = work.link
                return self.kernel.send(work)
            if self.device is not None:
                device = self.device
                self.device = device.link
                device.datum = work.data[work.datum]
                work.datum += 1
                return self.kernel.send(device)
        return self.kernel.wait()


class Device(Task):
    def __init__(self, kernel, ident, priority):
        super().__init__(kernel, ident, priority, None)
        self.pending = None

    def run(self):
        packet = self.take()
        if packet is None:
            if self.pending is None:
                return self.kernel.wait()
            packet, self.pending = self.pending, None
            return self.kernel.send(packet)
        self.pending = packet
        self.kernel.output += packet.datum
        return self.kernel.hold_self()


class Kernel:
    def __init__(self, idle_count):
        self.output = 0
        self.switches = 0
        self.current = None
        work = Packet(Packet(None, 0, "work"), 0, "work")
        a = Packet(Packet(Packet(None, DEVICE_A, "dev"), DEVICE_A, "dev"), DEVICE_A, "dev")
        b = Packet(Packet(Packet(None, DEVICE_B, "dev"), DEVICE_B, "dev"), DEVICE_B, "dev")
        self.tasks = [Idle(self, IDLE, 0, idle_count), Worker(self, WORKER, 1000, work),
                      Handler(self, HANDLER_A, 2000, a), Handler(self, HANDLER_B, 3000, b),
                      Device(self, DEVICE_A, 4000), Device(self, DEVICE_B, 5000)]
        self.by_priority = sorted(self.tasks, key=lambda t: -t.priority)

    def schedule(self):
        while True:
            for task in self.by_priority:
                if task.ready():
                    break
            else:
                return
            self.current = task
            self.switches += 1
            task.run()

    def wait(self):
        self.current.waiting = True

    def hold_self(self):
        self.current.held = True

    def release(self, ident):
        self.tasks[ident].held = False

    def send(self, packet):
        target = self.tasks[packet.owner]
        packet.owner = self.current.ident
        target.queue = append(packet, target.queue)
        target.waiting = False


def workload():
    kernel = Kernel(30000)
    kernel.schedule()
    return kernel.switches, kernel.output


_timing.run("richards", workload)
