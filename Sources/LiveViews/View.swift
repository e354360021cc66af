/// Something the view graph routes source events to: a shared ``View`` or a ``TriggerView``.
///
/// A class hierarchy rather than a protocol so routing is one virtual call, not an existential.
class ViewNode {
    /// The routing pass that last handled an event here (so a node found through both the
    /// old and the new value of an update handles it once).
    final var stamp: UInt64 = 0
    /// The keys of the rows the node shows, with their current bytes.
    final var visible: Set<RowKey> = []
    /// The columns whose change can change whether a row is shown.
    final let columnsRead: ColumnSet

    init(columnsRead: ColumnSet) {
        self.columnsRead = columnsRead
    }

    /// Turns one source event into output for the node's subscribers.
    func handle(_ event: RowEvent) {
        preconditionFailure("subclasses handle events")
    }

    /// Forgets ended subscribers; `false` when nobody is left and the node can go.
    func sweep() -> Bool {
        preconditionFailure("subclasses sweep")
    }

    /// Ends every subscriber with `error`.
    func finish(_ error: LiveViewsError) {
        preconditionFailure("subclasses finish")
    }
}

/// A source filtered by a ``Filter``, shared by every subscriber with the same filter
/// (architecture.md, data flow 4).
///
/// It tracks the keys it shows and turns each source event into INSERT, UPDATE, DELETE or
/// nothing: visible and still matching → UPDATE; visible and no longer matching → DELETE;
/// not visible and now matching → INSERT. A view of every row (`{}`) needs no key set:
/// it shows exactly the source's rows.
final class View: ViewNode {
    struct Subscriber {
        let sink: EventSink<ViewEvent>
        let columns: ColumnSet?
    }

    let filter: Filter
    private let showsAll: Bool
    private(set) var subscribers: [Subscriber] = []

    init(filter: Filter) {
        self.filter = filter
        self.showsAll = filter.isAll
        super.init(columnsRead: ColumnSet(filter.columnsRead))
    }

    /// Fills the visible keys from the source's current rows, without emitting.
    func prime(_ table: SourceTable) {
        guard !showsAll else { return }
        for stored in table.rows where filter.matches(table.row(stored)) {
            visible.insert(stored)
        }
    }

    /// The rows the view shows now.
    func currentRows(_ table: SourceTable) -> [Row] {
        (showsAll ? table.rows : visible).map { table.row($0) }
    }

    func add(_ subscriber: Subscriber) {
        subscribers.append(subscriber)
    }

    /// The view's reaction to a source event, before fan-out.
    func evaluate(_ event: RowEvent) -> ViewEvent? {
        let key = event.key
        if showsAll {
            switch event.kind {
            case .insert: return ViewEvent(.insert, row: event.row, timestamp: event.timestamp, fromReset: event.fromReset)
            case .update:
                return ViewEvent(.update, row: event.row, previous: event.previous, changed: event.changed,
                                 timestamp: event.timestamp, fromReset: event.fromReset)
            case .delete: return ViewEvent(.delete, row: event.row, timestamp: event.timestamp, fromReset: event.fromReset)
            }
        }
        switch event.kind {
        case .insert:
            guard filter.matches(event.row) else { return nil }
            visible.insert(key)
            return ViewEvent(.insert, row: event.row, timestamp: event.timestamp, fromReset: event.fromReset)
        case .delete:
            guard visible.remove(key) != nil else { return nil }
            return ViewEvent(.delete, row: event.row, timestamp: event.timestamp, fromReset: event.fromReset)
        case .update:
            let wasVisible = visible.contains(key)
            // A change to no column the filter reads cannot change visibility.
            let matches = event.changed.intersects(columnsRead) ? filter.matches(event.row) : wasVisible
            switch (wasVisible, matches) {
            case (true, true):
                visible.update(with: key)
                return ViewEvent(.update, row: event.row, previous: event.previous, changed: event.changed,
                                 timestamp: event.timestamp, fromReset: event.fromReset)
            case (true, false):
                visible.remove(key)
                return ViewEvent(.delete, row: event.previous ?? event.row, timestamp: event.timestamp,
                                 fromReset: event.fromReset)
            case (false, true):
                visible.insert(key)
                return ViewEvent(.insert, row: event.row, timestamp: event.timestamp, fromReset: event.fromReset)
            case (false, false):
                return nil
            }
        }
    }

    override func handle(_ event: RowEvent) {
        guard let output = evaluate(event) else { return }
        deliver(output)
    }

    /// Hands the same event value to every subscriber; ended ones are forgotten.
    func deliver(_ event: ViewEvent) {
        var index = 0
        while index < subscribers.count {
            let subscriber = subscribers[index]
            if event.operation == .update, let columns = subscriber.columns, !event.changed.intersects(columns) {
                index += 1
                continue
            }
            if subscriber.sink.push(event) {
                index += 1
            } else {
                subscribers.swapAt(index, subscribers.count - 1)
                subscribers.removeLast()
            }
        }
    }

    override func sweep() -> Bool {
        subscribers.removeAll { $0.sink.isEnded }
        return !subscribers.isEmpty
    }

    override func finish(_ error: LiveViewsError) {
        for subscriber in subscribers { subscriber.sink.finish(error) }
        subscribers = []
    }
}
