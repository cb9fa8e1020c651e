// Package attr is the NFSv4 attribute codec: it turns what the server
// knows of an object (Object: store.Attr, the filehandle, the fsid, the
// file system's figures) into the fattr4 of GETATTR and READDIR
// (Encode, EncodeError), parses the fattr4 of SETATTR, CREATE and OPEN
// into a store.SetAttr (Decode), and compares one with an object for
// VERIFY and NVERIFY (Compare). RFC 3530 §5 (RFC 7530 §5) defines the
// attributes of NFSv4.0, RFC 5661 §5 those of NFSv4.1, RFC 7862 and RFC
// 8276 the NFSv4.2 additions.
//
// One table lists the supported attributes, with the first minor
// version that has each and whether it can be read, set or both;
// Supported, Writable and ExclCreat are derived from it, and Encode,
// Decode and Compare accept exactly those bits. docs/nfs4-attributes.md
// lists them with the reasons for those left out (ACLs, named
// attributes, quotas, archive/hidden/system, fs_locations, pNFS).
//
// Encode is on the hottest path of the server (Linux sends a GETATTR
// after nearly every operation), so it is a switch per bit over the
// reply mask, writes the attrlist4 length as a placeholder patched with
// PutUint32At, and with the Numeric mapper does not allocate.
//
// Owners are mapped by an IDMapper: Numeric (decimal strings, the Linux
// default for AUTH_SYS) or Domain ("name@domain" through pluggable
// Names tables, falling back to decimal).
package attr
