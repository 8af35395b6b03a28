"""The awards of an edition: candidates, winners, the May Day list, named methods and publication."""
