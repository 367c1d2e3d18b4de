// Where keyferry's resources live in the API; defined with the API types.
export { GROUP, VERSION, API_VERSION, PLURALS } from '../api/constants.js';
