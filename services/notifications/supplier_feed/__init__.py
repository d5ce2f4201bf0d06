"""Each supplier's event feed: notifications curates visitation's and leverance's events into
what that supplier's own staff may see (`rules`), emits them to the supplier's own topic in the
transaction that applies the internal event (`handlers`), and keeps those topics in existence
(`topics`)."""
