/*
 * core.p4 -- the P4_16 core library: declarations every P4_16 program may
 * use whatever its architecture. Written for ddsr from the declarations the
 * P4_16 language specification gives in its "P4 core library" section; the
 * names of types, methods and parameters are those of the specification so
 * that programs using named arguments compile the same with p4c.
 */

#ifndef _CORE_P4_
#define _CORE_P4_

/* Errors the parser and verify() can signal; programs may add more. */
error {
    NoError,               /* no error */
    PacketTooShort,        /* not enough bits in the packet for extract */
    NoMatch,               /* select expression without a matching case */
    StackOutOfBounds,      /* reference past the end of a header stack */
    HeaderTooShort,        /* extract of a varbit larger than its maximum */
    ParserTimeout,         /* the parser ran out of time */
    ParserInvalidArgument  /* an operation received an invalid argument */
}

/* The packet as seen by a parser. */
extern packet_in {
    /* Copies sizeof(T) bits from the packet into a fixed-size header and
       makes it valid. */
    void extract<T>(out T hdr);
    /* Same for a header whose single varbit field gets
       variableFieldSizeInBits bits. */
    void extract<T>(out T variableSizeHeader,
                    in bit<32> variableFieldSizeInBits);
    /* The next sizeof(T) bits, without consuming them. */
    T lookahead<T>();
    /* Skips bits without extracting them. */
    void advance(in bit<32> sizeInBits);
    /* Length of the packet in bytes; not all targets can tell. */
    bit<32> length();
}

/* The packet being assembled by a deparser. */
extern packet_out {
    /* Appends a header (when valid), or every valid header of a stack,
       struct or union, in order. */
    void emit<T>(in T hdr);
}

/* In a parser: when check is false, stop parsing with error toSignal. */
extern void verify(in bool check, in error toSignal);

/* The action that does nothing; the default default action of tables. */
@noWarn("unused")
action NoAction() {}

/* Match kinds every target supports. */
match_kind {
    exact,    /* the key equals the entry's value */
    ternary,  /* the key equals the value on the bits set in the mask */
    lpm       /* longest prefix match */
}

/* Compile-time assertion: the program is rejected when check is false. */
extern bool static_assert(bool check, string message);
extern bool static_assert(bool check);

#endif /* _CORE_P4_ */
