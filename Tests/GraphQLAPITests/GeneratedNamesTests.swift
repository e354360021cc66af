import GraphQLAPI
import Testing

@Suite struct GeneratedNamesTests {
    @Test(arguments: ["a", "_", "_a1", "live_pnl", "Z9"])
    func validNames(_ name: String) {
        #expect(GeneratedNames.isValidName(name))
    }

    @Test(arguments: ["", "1a", "a-b", "a b", "__typename", "é", "naïve", "a.b"])
    func invalidNames(_ name: String) {
        #expect(!GeneratedNames.isValidName(name))
    }

    @Test func upstreamSpellings() {
        #expect(GeneratedNames.updateType("trades") == "tradesUpdate")
        #expect(GeneratedNames.expressionType("trades") == "tradesExpression")
        #expect(GeneratedNames.triggerInputType("trades") == "tradesTriggerInput")
        #expect(GeneratedNames.enumComparisonType("side") == "sideComparison")
        #expect(GeneratedNames.listTriggersField("trades") == "trades_triggers")
        #expect(GeneratedNames.triggerField("trades") == "trades_trigger")
        #expect(GeneratedNames.createTriggerField("trades") == "create_trades_trigger")
        #expect(GeneratedNames.deleteTriggerField("trades") == "delete_trades_trigger")
    }
}
