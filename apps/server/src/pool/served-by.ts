/** Response header naming the node that served a generation (this node, or the peer it was forwarded to). */
export const SERVED_BY_HEADER = 'x-trosyn-served-by';
