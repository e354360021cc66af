import PGSim
import Testing

/// The driver's pacing and lifetime: ticks at its rate, stops at a deadline or on cancellation.
@Suite struct DemoDriverTests {
    @Test func runUntilADeadlineTicksAtTheRate() async throws {
        let driver = DemoDriver(catalog: Catalog(), configuration: DemoConfiguration(ticksPerSecond: 50), seed: 9)
        try await driver.seed()
        let clock = ContinuousClock()
        let start = clock.now
        try await driver.run(until: start + .milliseconds(300))
        let elapsed = clock.now - start
        let ticks = await driver.tickCount
        #expect(elapsed >= .milliseconds(300))
        // 15 on schedule; a loaded machine may fall behind (the schedule restarts, it never bursts).
        #expect(ticks >= 2 && ticks <= 16)
        #expect(try await driver.catalog.rows(of: "trades").count >= 300)
    }

    @Test func stopsPromptlyWhenCancelled() async throws {
        let driver = DemoDriver(catalog: Catalog(), configuration: DemoConfiguration(ticksPerSecond: 0.5), seed: 10)
        let clock = ContinuousClock()
        let task = Task { try await driver.run() }
        // Wait for the seed and the first tick, then cancel during the 2 s sleep.
        while await driver.tickCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let cancelled = clock.now
        task.cancel()
        try await task.value
        #expect(clock.now - cancelled < .seconds(1))
        #expect(await driver.tickCount == 1)
    }

    @Test func theRateSetsTheInterval() {
        #expect(DemoConfiguration(ticksPerSecond: 4).interval == .milliseconds(250))
        #expect(DemoConfiguration().interval == .milliseconds(500))
    }
}
