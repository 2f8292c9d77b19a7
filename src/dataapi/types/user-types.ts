// Types the proxy's catalogue does not know (an enum, a domain) whose parameters a client sends
// in binary: asyncpg describes a statement, learns such a parameter's OID and sends the value in
// the binary format of what the type is made of. An enum's binary form is its label's text
// (enum_recv), a domain's is its base type's; the parameter is then cast to the type itself.

/** How to read a binary parameter of a type outside the catalogue. */
export interface UserTypeWire {
  /** The built-in type whose binary format the value has (text for an enum, the base type for a domain). */
  readonly wireOid: number;
  /** The type as SQL names it (format_type): `public.mood`, `positive_int`. */
  readonly castName: string;
}

/** Per type OID, for the parameters of one prepared statement. */
export type UserTypeWires = ReadonlyMap<number, UserTypeWire>;
