"""What the case types share above core: the actions every case takes (assign, note, pause, resume,
acknowledge) and the JSON routes generated from a workflow table. Unlike core, this layer knows who
the users are (`auth`): who may be assigned, which store's cases a caller sees."""
