"""Order lines for today: :mod:`.proposals` applies each policy's rule and the supplier terms
(:mod:`lakehouse_inv.replenishment`) to inventory positions, :mod:`.job` writes ``gold.orders``, :mod:`.selection`
and :mod:`.export` read them back for stores."""
