// bench/web's peer: the least a React 18 page ships, its runtime and react-dom rendering one element.
import { createRoot } from 'react-dom/client';

createRoot(document.getElementById('app')).render(<h1>Hello, world</h1>);
