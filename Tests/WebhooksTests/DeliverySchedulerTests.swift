import Testing
@testable import Webhooks

@Suite struct DeliverySchedulerTests {
    typealias Scheduler = DeliveryScheduler<ContinuousClock.Instant>
    let a = TriggerID(source: "s", name: "a")
    let b = TriggerID(source: "s", name: "b")

    @Test func oneDeliveryPerKeyAtATimeInOrder() {
        var scheduler = Scheduler(maxInFlight: 10, maxInFlightPerTrigger: 10, maxScheduledPerTrigger: 100)
        scheduler.add(eventID: "1-fire", trigger: a, key: "[1]")
        scheduler.add(eventID: "1-clear", trigger: a, key: "[1]")
        scheduler.add(eventID: "2-fire", trigger: a, key: "[2]")
        let first = scheduler.start()
        #expect(first.map(\.eventID) == ["1-fire", "2-fire"])
        #expect(scheduler.start().isEmpty)  // key 1's CLEAR waits for its FIRE
        scheduler.finish(first[0], .done)
        #expect(scheduler.start().map(\.eventID) == ["1-clear"])
        #expect(scheduler.inFlight == 2)
    }

    @Test func aRetryingKeyWaitsAndOthersGoOn() {
        var scheduler = Scheduler(maxInFlight: 10, maxInFlightPerTrigger: 10, maxScheduledPerTrigger: 100)
        let now = ContinuousClock.now
        scheduler.add(eventID: "1-fire", trigger: a, key: "[1]")
        scheduler.add(eventID: "1-clear", trigger: a, key: "[1]")
        let start = scheduler.start()
        scheduler.finish(start[0], .retry(at: now + .seconds(5)))
        scheduler.add(eventID: "2-fire", trigger: a, key: "[2]")
        #expect(scheduler.start().map(\.eventID) == ["2-fire"])
        #expect(scheduler.nextWake == now + .seconds(5))
        scheduler.wake(now: now + .seconds(1))
        #expect(scheduler.start().isEmpty)
        scheduler.wake(now: now + .seconds(5))
        #expect(scheduler.start().map(\.eventID) == ["1-fire"])  // the same head again
        #expect(scheduler.nextWake == nil)
    }

    @Test func concurrencyIsCappedInAllAndPerTrigger() {
        var scheduler = Scheduler(maxInFlight: 3, maxInFlightPerTrigger: 2, maxScheduledPerTrigger: 100)
        for key in 0..<4 { scheduler.add(eventID: "a\(key)", trigger: a, key: "[\(key)]") }
        for key in 0..<4 { scheduler.add(eventID: "b\(key)", trigger: b, key: "[\(key)]") }
        var active = scheduler.start()
        #expect(active.map(\.eventID) == ["a0", "a1", "b0"])
        scheduler.finish(active.removeFirst(), .done)
        // a2 and a3 were parked at a's cap; they rejoin the back of the line, behind b1.
        let next = scheduler.start()
        #expect(next.map(\.eventID) == ["b1"])
        active += next
        var started = ["a0", "a1", "b0", "b1"]
        while !active.isEmpty {
            scheduler.finish(active.removeFirst(), .done)
            let more = scheduler.start()
            started += more.map(\.eventID)
            active += more
            #expect(scheduler.inFlight <= 3)
            #expect(active.filter { $0.lane.trigger == a }.count <= 2)
        }
        #expect(started.sorted() == ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"])
        #expect(scheduler.inFlight == 0)
    }

    @Test func aSpilledTriggerRefillsInOutboxOrder() {
        var scheduler = Scheduler(maxInFlight: 10, maxInFlightPerTrigger: 10, maxScheduledPerTrigger: 2)
        let payloads = (0..<5).map { samplePayload(key: 1, mz: UInt64($0)) }
        let pending = payloads.enumerated().map { PendingDelivery(payload: $1, sequence: UInt64($0), attempts: 0) }
        let added0 = scheduler.add(eventID: payloads[0].eventID, trigger: a, key: "[1]")
        #expect(added0)
        let added1 = scheduler.add(eventID: payloads[1].eventID, trigger: a, key: "[1]")
        #expect(added1)
        let added2 = scheduler.add(eventID: payloads[2].eventID, trigger: a, key: "[1]")
        #expect(!added2)
        let added3 = scheduler.add(eventID: payloads[3].eventID, trigger: a, key: "[1]")
        #expect(!added3)  // spilled: stays out
        #expect(scheduler.spilled == [a])
        #expect(!scheduler.wantsRefill(a))
        var order: [String] = []
        var remaining = pending
        while let start = scheduler.start().first {
            order.append(start.eventID)
            scheduler.finish(start, .done)
            remaining.removeAll { $0.payload.eventID == start.eventID }
            if scheduler.wantsRefill(a) { scheduler.refill(a, with: remaining) }
        }
        #expect(order == payloads.map(\.eventID))
        #expect(scheduler.spilled.isEmpty)
    }

    @Test func removingATriggerForgetsItsLanes() {
        var scheduler = Scheduler(maxInFlight: 10, maxInFlightPerTrigger: 10, maxScheduledPerTrigger: 100)
        scheduler.add(eventID: "x", trigger: a, key: "[1]")
        scheduler.add(eventID: "y", trigger: a, key: "[1]")
        let start = scheduler.start()
        scheduler.remove(a)
        scheduler.finish(start[0], .done)
        #expect(scheduler.start().isEmpty)
        #expect(scheduler.lanes.isEmpty)
        #expect(scheduler.inFlight == 0)
    }
}
