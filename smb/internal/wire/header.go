package wire

import (
	"encoding/binary"
	"strconv"
)

// HeaderSize is the size of the SMB2 packet header, sync or async
// (MS-SMB2 §2.2.1); its StructureSize field holds this value.
const HeaderSize = 64

// Protocol identifiers: the first four bytes of an SMB message (MS-SMB2
// §2.2.1, §2.2.41, §2.2.42; MS-SMB §2.2.3.1).
const (
	ProtocolSMB2      = 0x424D53FE // 0xFE 'S' 'M' 'B', little-endian
	ProtocolTransform = 0x424D53FD // 0xFD 'S' 'M' 'B': SMB2 TRANSFORM_HEADER
	ProtocolCompress  = 0x424D53FC // 0xFC 'S' 'M' 'B': COMPRESSION_TRANSFORM_HEADER
	ProtocolSMB1      = 0x424D53FF // 0xFF 'S' 'M' 'B'
)

// Command is an SMB2 command code (MS-SMB2 §2.2.1.2).
type Command uint16

// Command codes.
const (
	SMB2_NEGOTIATE       Command = 0x0000
	SMB2_SESSION_SETUP   Command = 0x0001
	SMB2_LOGOFF          Command = 0x0002
	SMB2_TREE_CONNECT    Command = 0x0003
	SMB2_TREE_DISCONNECT Command = 0x0004
	SMB2_CREATE          Command = 0x0005
	SMB2_CLOSE           Command = 0x0006
	SMB2_FLUSH           Command = 0x0007
	SMB2_READ            Command = 0x0008
	SMB2_WRITE           Command = 0x0009
	SMB2_LOCK            Command = 0x000A
	SMB2_IOCTL           Command = 0x000B
	SMB2_CANCEL          Command = 0x000C
	SMB2_ECHO            Command = 0x000D
	SMB2_QUERY_DIRECTORY Command = 0x000E
	SMB2_CHANGE_NOTIFY   Command = 0x000F
	SMB2_QUERY_INFO      Command = 0x0010
	SMB2_SET_INFO        Command = 0x0011
	SMB2_OPLOCK_BREAK    Command = 0x0012
	// SMB2_SERVER_TO_CLIENT_NOTIFICATION is sent only by 3.1.1 servers.
	SMB2_SERVER_TO_CLIENT_NOTIFICATION Command = 0x0013
)

// NumCommands is one more than the highest command code; tables indexed
// by Command have this length.
const NumCommands = 0x14

var commandNames = [NumCommands]string{
	"NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
	"CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL",
	"ECHO", "QUERY_DIRECTORY", "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO",
	"OPLOCK_BREAK", "SERVER_TO_CLIENT_NOTIFICATION",
}

// String returns the command's name without the SMB2_ prefix.
func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return "Command(" + strconv.Itoa(int(c)) + ")"
}

// Flags is the Flags field of the SMB2 header (MS-SMB2 §2.2.1.2).
type Flags uint32

// Header flags.
const (
	SMB2_FLAGS_SERVER_TO_REDIR    Flags = 0x00000001
	SMB2_FLAGS_ASYNC_COMMAND      Flags = 0x00000002
	SMB2_FLAGS_RELATED_OPERATIONS Flags = 0x00000004
	SMB2_FLAGS_SIGNED             Flags = 0x00000008
	SMB2_FLAGS_PRIORITY_MASK      Flags = 0x00000070
	SMB2_FLAGS_DFS_OPERATIONS     Flags = 0x10000000
	SMB2_FLAGS_REPLAY_OPERATION   Flags = 0x20000000
)

// Priority returns the 3.1.1 I/O priority in the PRIORITY_MASK bits.
func (f Flags) Priority() int { return int(f&SMB2_FLAGS_PRIORITY_MASK) >> 4 }

// Header is the SMB2 packet header (MS-SMB2 §2.2.1), in either form: when
// Flags has SMB2_FLAGS_ASYNC_COMMAND the header is async and AsyncID is
// meaningful; otherwise it is sync and TreeID and Reserved are.
type Header struct {
	CreditCharge uint16
	// Status is the NTSTATUS of a response. In a request from a 3.x client
	// its low 16 bits are the ChannelSequence (see ChannelSequence).
	Status    Status
	Command   Command
	Credits   uint16 // CreditRequest in a request, CreditResponse in a response
	Flags     Flags
	NextCmd   uint32 // NextCommand: offset of the next message in a compound, or 0
	MessageID uint64
	AsyncID   uint64 // async form only
	Reserved  uint32 // sync form only (formerly ProcessId)
	TreeID    uint32 // sync form only
	SessionID uint64
	Signature [16]byte
}

// IsAsync reports whether h is in the async form.
func (h *Header) IsAsync() bool { return h.Flags&SMB2_FLAGS_ASYNC_COMMAND != 0 }

// IsResponse reports whether h has SMB2_FLAGS_SERVER_TO_REDIR.
func (h *Header) IsResponse() bool { return h.Flags&SMB2_FLAGS_SERVER_TO_REDIR != 0 }

// IsRelated reports whether h has SMB2_FLAGS_RELATED_OPERATIONS.
func (h *Header) IsRelated() bool { return h.Flags&SMB2_FLAGS_RELATED_OPERATIONS != 0 }

// IsSigned reports whether h has SMB2_FLAGS_SIGNED.
func (h *Header) IsSigned() bool { return h.Flags&SMB2_FLAGS_SIGNED != 0 }

// ChannelSequence returns the ChannelSequence of a 3.x request (MS-SMB2
// §2.2.1.2), carried in the low half of the Status field.
func (h *Header) ChannelSequence() uint16 { return uint16(h.Status) }

// Decode decodes the 64-byte header at the start of b. It checks the
// protocol identifier and StructureSize, nothing else: which flags and
// fields are valid depends on the connection's state.
func (h *Header) Decode(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShortBuffer
	}
	b = b[:HeaderSize]
	if binary.LittleEndian.Uint32(b[0:]) != ProtocolSMB2 {
		return ErrProtocol
	}
	if binary.LittleEndian.Uint16(b[4:]) != HeaderSize {
		return ErrStructureSize
	}
	h.CreditCharge = binary.LittleEndian.Uint16(b[6:])
	h.Status = Status(binary.LittleEndian.Uint32(b[8:]))
	h.Command = Command(binary.LittleEndian.Uint16(b[12:]))
	h.Credits = binary.LittleEndian.Uint16(b[14:])
	h.Flags = Flags(binary.LittleEndian.Uint32(b[16:]))
	h.NextCmd = binary.LittleEndian.Uint32(b[20:])
	h.MessageID = binary.LittleEndian.Uint64(b[24:])
	if h.Flags&SMB2_FLAGS_ASYNC_COMMAND != 0 {
		h.AsyncID = binary.LittleEndian.Uint64(b[32:])
		h.Reserved, h.TreeID = 0, 0
	} else {
		h.AsyncID = 0
		h.Reserved = binary.LittleEndian.Uint32(b[32:])
		h.TreeID = binary.LittleEndian.Uint32(b[36:])
	}
	h.SessionID = binary.LittleEndian.Uint64(b[40:])
	copy(h.Signature[:], b[48:64])
	return nil
}

// Put writes h into b[:64], which must be at least HeaderSize long.
func (h *Header) Put(b []byte) {
	b = b[:HeaderSize]
	binary.LittleEndian.PutUint32(b[0:], ProtocolSMB2)
	binary.LittleEndian.PutUint16(b[4:], HeaderSize)
	binary.LittleEndian.PutUint16(b[6:], h.CreditCharge)
	binary.LittleEndian.PutUint32(b[8:], uint32(h.Status))
	binary.LittleEndian.PutUint16(b[12:], uint16(h.Command))
	binary.LittleEndian.PutUint16(b[14:], h.Credits)
	binary.LittleEndian.PutUint32(b[16:], uint32(h.Flags))
	binary.LittleEndian.PutUint32(b[20:], h.NextCmd)
	binary.LittleEndian.PutUint64(b[24:], h.MessageID)
	if h.Flags&SMB2_FLAGS_ASYNC_COMMAND != 0 {
		binary.LittleEndian.PutUint64(b[32:], h.AsyncID)
	} else {
		binary.LittleEndian.PutUint32(b[32:], h.Reserved)
		binary.LittleEndian.PutUint32(b[36:], h.TreeID)
	}
	binary.LittleEndian.PutUint64(b[40:], h.SessionID)
	copy(b[48:64], h.Signature[:])
}

// Append appends the encoding of h to dst.
func (h *Header) Append(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	h.Put(dst[n:])
	return dst
}

// Offsets of header fields that a server patches after encoding.
const (
	HeaderOffStatus      = 8
	HeaderOffNextCommand = 20
	HeaderOffSignature   = 48
	HeaderOffFlags       = 16
	HeaderOffCredits     = 14
)

// The SMB2 TRANSFORM_HEADER of encrypted messages (MS-SMB2 §2.2.41) is
// decoded and checked by smb/internal/smbcrypto (ParseTransformHeader),
// which decrypts what follows it.
