/// The views and triggers of one source and the predicate index that routes events to them
/// (architecture.md, data flow 4). Owned by the ``SourceCache`` actor.
///
/// Views whose filter pins a column to `_eq`/`_in` values are found through a hash index on
/// (column, value): an event looks up its row's value (and, for an update, the previous
/// row's value) per indexed column, so it reaches only the views it can affect and the cost
/// per event does not grow with the number of views it cannot affect. Other views are
/// evaluated for every event.
struct ViewGraph {
    struct IndexKey: Hashable {
        let column: Int
        let value: Value
    }

    private(set) var views: [Filter: View] = [:]
    private(set) var triggers: [ObjectIdentifier: TriggerView] = [:]
    private var index: [IndexKey: [ViewNode]] = [:]
    /// Indexed columns and how many nodes pin each.
    private var indexedColumns: [Int: Int] = [:]
    private var indexedColumnList: [Int] = []
    private var unindexed: [ViewNode] = []
    private var stamp: UInt64 = 0
    /// How many times a node handled an event (lets tests check that routing skips
    /// the nodes an event cannot affect).
    private(set) var handled = 0

    var nodeCount: Int { views.count + triggers.count }

    /// The shared view for `filter`, created (and primed from `table`) if needed.
    mutating func view(for filter: Filter, table: SourceTable) -> View {
        if let view = views[filter] { return view }
        let view = View(filter: filter)
        view.prime(table)
        views[filter] = view
        attach(view, pinned: filter.pinned)
        return view
    }

    mutating func addTrigger(_ trigger: TriggerView) {
        triggers[ObjectIdentifier(trigger)] = trigger
        // A row waiting for `clear` may no longer have a pinned `fire` value, so only
        // triggers without `clear` can be indexed.
        attach(trigger, pinned: trigger.clear == nil ? trigger.fire.pinned : nil)
    }

    private static func indexable(_ pinned: Pinned?) -> Pinned? {
        guard let pinned else { return nil }
        // NaN is never == itself, so a hash lookup could not find it; evaluate such filters.
        for value in pinned.values {
            if case .float(let number) = value, number.isNaN { return nil }
        }
        return pinned
    }

    private mutating func attach(_ node: ViewNode, pinned: Pinned?) {
        guard let pinned = Self.indexable(pinned) else {
            unindexed.append(node)
            return
        }
        for value in pinned.values {
            index[IndexKey(column: pinned.column, value: value), default: []].append(node)
        }
        indexedColumns[pinned.column, default: 0] += 1
        indexedColumnList = indexedColumns.keys.sorted()
    }

    private mutating func detach(_ node: ViewNode, pinned: Pinned?) {
        guard let pinned = Self.indexable(pinned) else {
            unindexed.removeAll { $0 === node }
            return
        }
        for value in pinned.values {
            let key = IndexKey(column: pinned.column, value: value)
            index[key]?.removeAll { $0 === node }
            if index[key]?.isEmpty == true { index[key] = nil }
        }
        indexedColumns[pinned.column, default: 1] -= 1
        if indexedColumns[pinned.column] == 0 { indexedColumns[pinned.column] = nil }
        indexedColumnList = indexedColumns.keys.sorted()
    }

    /// Routes each event, in order, to every node it can affect.
    mutating func route(_ events: [RowEvent]) {
        for event in events {
            stamp &+= 1
            handled &+= unindexed.count
            for node in unindexed { node.handle(event) }
            guard !indexedColumnList.isEmpty else { continue }
            for column in indexedColumnList {
                visit(IndexKey(column: column, value: event.row.value(at: column)), event)
                if let previous = event.previous {
                    visit(IndexKey(column: column, value: previous.value(at: column)), event)
                }
            }
        }
    }

    @inline(__always)
    private mutating func visit(_ key: IndexKey, _ event: RowEvent) {
        guard let nodes = index[key] else { return }
        for node in nodes where node.stamp != stamp {
            node.stamp = stamp
            handled &+= 1
            node.handle(event)
        }
    }

    /// Forgets ended subscribers and removes nodes nobody uses; returns the live stream count.
    mutating func sweep() -> Int {
        var streams = 0
        for (filter, view) in views {
            if view.sweep() {
                streams += view.subscribers.count
            } else {
                views[filter] = nil
                detach(view, pinned: filter.pinned)
            }
        }
        for (id, trigger) in triggers {
            if trigger.sweep() {
                streams += 1
            } else {
                triggers[id] = nil
                detach(trigger, pinned: trigger.clear == nil ? trigger.fire.pinned : nil)
            }
        }
        return streams
    }

    /// Ends every stream with `error` and forgets every node.
    mutating func finish(_ error: LiveViewsError) {
        for view in views.values { view.finish(error) }
        for trigger in triggers.values { trigger.finish(error) }
        self = ViewGraph()
    }
}
